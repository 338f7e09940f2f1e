// One request id per tool call, from the hub into the node's log: a node's
// log lines for the work a call caused (a delivery, a read, a removal) carry
// the requestId the hub's audit log records for that call, also when a
// node's delivery lane runs several calls' deliveries one after another.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { data, killStdioHubs, startStdioHub, type StdioHub } from '../../mcp/mcp-hub.js';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached, type Proc } from '../../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: StdioHub;
let node: Proc;
let dataDir: string;

beforeAll(async () => {
  tmp = await tempDir('mesh-request-id-');
  dataDir = path.join(tmp.dir, 'hub');
  const sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  const grpcPort = await freePort();
  hub = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  node = startNodeProc({ id: 'alpha', workspace: path.join(tmp.dir, 'alpha'), hubPort: grpcPort, sessions: ['demo'] });
  await waitAttached(node);
  await eventually(async () => data(await hub.call('status')).sessions.find((s: any) => s.name === 'demo')?.members.some((m: any) => m.online));
});

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

/** The audit line of the call of `tool` whose arguments match `args`, once it is written. */
async function audited(tool: string, match: (args: any) => boolean): Promise<any> {
  return eventually(async () =>
    (await readFile(path.join(dataDir, 'audit.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.tool === tool && match(l.arguments)),
  );
}

/** The node's "request served" line for `op` on `rel`, once it is written. */
function served(op: string, rel: string): Promise<any> {
  return eventually(() =>
    node.lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request served' && l.op === op && l.path === rel),
  );
}

it('a write, a cat on the node and an rm: the node logs each under the requestId the audit log records for the call', async () => {
  data(await hub.call('write', { session: 'demo', path: 'notes/a.txt', content: 'hello\n' }));
  const write = await audited('write', (a) => a.path === 'notes/a.txt');
  const delivered = await served('deliver', 'notes/a.txt');
  expect(write.requestId).toMatch(/^[0-9a-f]{16}$/);
  expect(delivered).toMatchObject({ requestId: write.requestId, outcome: 'ok', session: 'demo', level: 30 });

  data(await hub.call('cat', { session: 'demo', path: 'notes/a.txt', node: 'alpha' }));
  const cat = await audited('cat', (a) => a.path === 'notes/a.txt' && a.node === 'alpha');
  expect((await served('read', 'notes/a.txt')).requestId).toBe(cat.requestId);
  expect(cat.requestId).not.toBe(write.requestId);

  data(await hub.call('rm', { session: 'demo', path: 'notes/a.txt' }));
  const rm = await audited('rm', (a) => a.path === 'notes/a.txt');
  expect((await served('remove', 'notes/a.txt')).requestId).toBe(rm.requestId);

  // Work no call caused carries no id.
  const attached = node.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'attached');
  expect(attached.requestId).toBeUndefined();
});

it("writes queued behind each other on the node's lane: each delivery is logged under its own call's id", async () => {
  const paths = Array.from({ length: 6 }, (_, i) => `lane/f${i}.txt`);
  await Promise.all(paths.map((p, i) => hub.call('write', { session: 'demo', path: p, content: `file ${i}\n`.repeat(1000) })));
  for (const p of paths) {
    const call = await audited('write', (a) => a.path === p);
    expect((await served('deliver', p)).requestId, p).toBe(call.requestId);
  }
});
