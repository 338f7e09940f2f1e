// `mesh-assistant node` loads the agent's code and not the hub's: the hub
// core, the MCP server and SDK, the store and the demo are some 25 MiB of a
// node agent's memory (bench/README.md, node-footprint). Watched from outside,
// by module hooks that record every URL the process resolves.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './support/processes.js';

const RECORDER = fileURLToPath(new URL('./support/import-recorder.mjs', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-imports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** URLs resolved by the CLI run with `args` until it exits. */
async function importsOf(args: string[]): Promise<string[]> {
  const log = path.join(dir, `${args[0]}.log`);
  await new Promise<void>((resolve) => {
    execFile(process.execPath, ['--import', RECORDER, CLI, ...args], { env: { ...process.env, MESH_IMPORT_LOG: log, MESH_HUB: '', MESH_NODE_ID: '' }, timeout: 30_000 }, () => resolve());
  });
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

const HUB_SIDE = [/\/dist\/mesh\/hub\/hub\.js$/, /\/dist\/mcp\/server\.js$/, /\/dist\/mcp\/http\.js$/, /\/dist\/mcp\/stdio\.js$/, /\/dist\/mesh\/store\//, /\/dist\/demo\//, /@modelcontextprotocol/];

describe('the CLI loads what a command runs', () => {
  it('a node agent loads the agent and none of the hub, MCP, store or demo code', async () => {
    // No --hub: the command stops at its first required option, after it loaded what it runs.
    const loaded = await importsOf(['node', '--id', 'n1', '--workspace', path.join(dir, 'ws')]);
    expect(loaded.some((u) => u.endsWith('/dist/mesh/node/agent.js'))).toBe(true);
    expect(loaded.filter((u) => HUB_SIDE.some((re) => re.test(u)))).toEqual([]);
  });

  it('the hub still loads its own (the recorder sees what it should)', async () => {
    const loaded = await importsOf(['hub', '--grpc', 'not-an-address', '--no-http', '--data', path.join(dir, 'data')]);
    expect(loaded.some((u) => /\/dist\/mesh\/hub\/hub\.js$/.test(u))).toBe(true);
  });
});
