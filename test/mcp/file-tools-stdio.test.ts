// The file tools over stdio: the SDK client drives a hub child process (see file-tools-scenarios.ts).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freePort, killAll, tempDir } from '../support/processes.js';
import { defineFileToolScenarios, startMember, type FileToolsHarness } from './file-tools-scenarios.js';
import { killStdioHubs, startStdioHub } from './mcp-hub.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let harness: FileToolsHarness;

beforeAll(async () => {
  tmp = await tempDir('mesh-file-tools-stdio-');
  const dataDir = path.join(tmp.dir, 'hub');
  const sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  const grpcPort = await freePort();
  const hub = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  harness = { call: (name, args) => hub.call(name, args), workspace: (id) => path.join(tmp.dir, id), dataDir, grpcPort, nodes: new Map() };
  await Promise.all(['alpha', 'beta'].map((id) => startMember(harness, id)));
});

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

defineFileToolScenarios(() => harness);
