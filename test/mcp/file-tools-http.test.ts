// The file tools over Streamable HTTP: the SDK client with the bearer token
// against a hub process (see file-tools-scenarios.ts).
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll } from 'vitest';
import { bearer, callTool, connectClient, fileToken, startHttpHub } from '../support/http-hub.js';
import { killAll, tempDir } from '../support/processes.js';
import { defineFileToolScenarios, startMember, type FileToolsHarness } from './file-tools-scenarios.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let harness: FileToolsHarness;
let client: Client;

beforeAll(async () => {
  tmp = await tempDir('mesh-file-tools-http-');
  const dataDir = path.join(tmp.dir, 'hub');
  const hub = await startHttpHub({ dataDir });
  ({ client } = await connectClient(hub.url, bearer(await fileToken(dataDir))));
  harness = { call: (name, args) => callTool(client, name, args), workspace: (id) => path.join(tmp.dir, id), dataDir, grpcPort: hub.grpcPort, nodes: new Map() };
  await Promise.all(['alpha', 'beta'].map((id) => startMember(harness, id)));
});

afterAll(async () => {
  await client?.close();
  await killAll();
  await tmp?.cleanup();
});

defineFileToolScenarios(() => harness);
