// File data goes over the hub's fetch port (a worker thread's own listener,
// speaking the data wire), not the main port; and when that port cannot be
// used, pushes still complete over the main port.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { BULK_THREAD_NICE } from '../../../src/mesh/thread-priority.js';
import { freePort, killAll, startNodeProc, waitAttached } from '../../support/processes.js';
import { dataWireStream } from '../../support/data-wire-stream.js';
import { threadsOf } from '../../support/threads.js';
import { startThrottleProxy, type ThrottleProxy } from '../../support/throttle-proxy.js';
import { MiB, sha256File, startMesh, waitForFile, WIRE_SLACK, type Mesh } from './helpers.js';

afterAll(killAll);

let mesh: Mesh | undefined;
const extraProxies: ThrottleProxy[] = [];
afterEach(async () => {
  await Promise.all(extraProxies.splice(0).map((p) => p.close()));
  await mesh?.close();
  mesh = undefined;
});

const SIZE = 24 * MiB;

/** A node whose control stream goes through a counting proxy in front of the main port only. */
async function nodeBehindMainProxy(m: Mesh, id: string, env: Record<string, string> = {}): Promise<ThrottleProxy> {
  const proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: m.port }, bytesPerSecond: Infinity });
  extraProxies.push(proxy);
  const proc = startNodeProc({ id, workspace: m.workspace(id), hubPort: proxy.port, sessions: ['s'], env });
  m.nodes.set(id, proc);
  await waitAttached(proc, 1, 30_000);
  return proxy;
}

async function push(m: Mesh): Promise<{ sha256: string; outcomes: Array<{ node: string; status: string }> }> {
  const source = path.join(m.sourceDir, 'big.bin');
  await writeFile(source, randomBytes(SIZE));
  const result = await m.hub.call({ op: 'push', session: 's', source: 'big.bin' });
  return { sha256: (await sha256File(source))!, outcomes: result.outcomes };
}

it('a push to 3 nodes goes over the fetch port the hub announced: the main port carries control traffic only', async () => {
  mesh = await startMesh();
  expect(mesh.hub.lines.some((l) => l.includes('hub listening for nodes') && l.includes(`"grpcFetch":"127.0.0.1:${mesh!.fetchPort}"`))).toBe(true);
  const ids = ['a', 'b', 'c'];
  const links = await Promise.all(ids.map((id) => nodeBehindMainProxy(mesh!, id)));
  const { sha256, outcomes } = await push(mesh);
  expect(outcomes.map((o) => [o.node, o.status])).toEqual(ids.map((id) => [id, 'ok']));
  for (const id of ids) await waitForFile(mesh.nodeFile(id, 's', 'big.bin'), sha256);
  // Independent of the hub's own accounting: what crossed each node's main-port link is far below one file.
  for (const link of links) expect(link.stats().down).toBeLessThan(WIRE_SLACK(SIZE));
  const status = await mesh.hub.call({ op: 'status' });
  expect(status.grpcFetch).toBe(`127.0.0.1:${mesh.fetchPort}`);
  expect(status.fetchVia).toEqual({ a: 'fetch port', b: 'fetch port', c: 'fetch port' });
  expect(mesh.hub.lines.some((l) => l.includes('node fetches file data on the main port'))).toBe(false);
  // The bulk threads (the fetch worker, staging's hash thread) run below the main thread, which keeps the process's priority.
  if (existsSync('/proc/self/task')) {
    const pid = mesh.hub.child.pid!;
    const nices = new Map(threadsOf(pid).map((t) => [t.tid, t.nice]));
    const main = nices.get(pid)!;
    expect(main, "the main thread's nice").toBe(getPriority(pid));
    expect([...nices.values()].filter((n) => n === Math.min(19, main + BULK_THREAD_NICE)).length, 'threads at the bulk priority').toBeGreaterThanOrEqual(2);
  }
}, 90_000);

it('falls back to the main port when the fetch port cannot be reached, and remembers it', async () => {
  mesh = await startMesh();
  const nowhere = await freePort(); // nothing listens there
  const link = await nodeBehindMainProxy(mesh, 'a', { MESH_HUB_FETCH: `127.0.0.1:${nowhere}` });
  const first = await push(mesh);
  expect(first.outcomes.map((o) => o.status)).toEqual(['ok']);
  await waitForFile(mesh.nodeFile('a', 's', 'big.bin'), first.sha256);
  expect(link.stats().down).toBeGreaterThan(SIZE);
  const node = mesh.nodes.get('a')!;
  expect(node.lines.filter((l) => l.includes('fetch port unreachable')).length).toBe(1);
  // A second push does not try the port again (no second warning, no wait).
  const started = Date.now();
  const second = await push(mesh);
  expect(second.outcomes.map((o) => o.status)).toEqual(['ok']);
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(node.lines.filter((l) => l.includes('fetch port unreachable')).length).toBe(1);
  // The operator sees it: the node's data came over the main port, and the hub said so once (not per push).
  expect((await mesh.hub.call({ op: 'status' })).fetchVia).toEqual({ a: 'main port' });
  const warnings = mesh.hub.lines.filter((l) => l.includes('node fetches file data on the main port'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(`"grpcFetch":"127.0.0.1:${mesh.fetchPort}"`);
}, 90_000);

it('with --grpc-fetch off, the hub announces no fetch port and pushes go over the main port', async () => {
  mesh = await startMesh({ hubArgs: ['--grpc-fetch', 'off'] });
  expect(mesh.fetchPort).toBe(0);
  const link = await nodeBehindMainProxy(mesh, 'a');
  const { sha256, outcomes } = await push(mesh);
  expect(outcomes.map((o) => o.status)).toEqual(['ok']);
  await waitForFile(mesh.nodeFile('a', 's', 'big.bin'), sha256);
  expect(link.stats().down).toBeGreaterThan(SIZE);
  const status = await mesh.hub.call({ op: 'status' });
  expect(status.grpcFetch).toBeUndefined();
  // The main port is the only one: nothing to warn about.
  expect(status.fetchVia).toEqual({ a: 'main port' });
  expect(mesh.hub.lines.some((l) => l.includes('node fetches file data on the main port'))).toBe(false);
}, 90_000);

it('a fetch worker that crashes is logged and restarted on the same port; the push completes meanwhile', async () => {
  mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'fetch-worker-crash' } });
  await mesh.startNode({ id: 'a', sessions: ['s'] });
  const { sha256, outcomes } = await push(mesh);
  expect(outcomes.map((o) => o.status)).toEqual(['ok']);
  await waitForFile(mesh.nodeFile('a', 's', 'big.bin'), sha256);
  await mesh.hub.waitFor((l) => l.includes('fetch worker exited; restarting it'), 10_000);
  await mesh.hub.waitFor((l) => l.includes('fetch worker listening again') && l.includes(`127.0.0.1:${mesh!.fetchPort}`), 10_000);
  // The port answers again, and it is the worker's server: a fetch without a credential is refused by the hub's rules.
  const refused = dataWireStream(mesh.fetchPort, { node: 'a', transferId: '00000000', fromChunk: 0, maxPieceBytes: 0 });
  const status = await new Promise<{ details?: string }>((resolve) => refused.on('error', resolve));
  expect(status.details).toMatch(/^UNAUTHENTICATED/);
  const again = await push(mesh);
  expect(again.outcomes.map((o) => o.status)).toEqual(['ok']);
}, 90_000);
