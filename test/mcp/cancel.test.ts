// Cancelling a push from the MCP client: a 48 MiB push to a fast node and to
// a node behind a ~2 MiB/s link is aborted once progress shows bytes on the
// slow node; afterwards no node holds a part file or a partial target, and
// the hub reports no running transfer.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy.js';
import { data, killStdioHubs, startStdioHub } from './mcp-hub.js';

const MiB = 1024 * 1024;
let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
let proxy: ThrottleProxy | undefined;

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await proxy?.close();
  await tmp?.cleanup();
});

async function filesUnder(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { recursive: true }).catch(() => [] as string[])) as string[];
  return names.map((n) => path.join(dir, n));
}

it('a cancelled push leaves no part file and no partial target anywhere', async () => {
  tmp = await tempDir('mesh-mcp-cancel-');
  const dataDir = path.join(tmp.dir, 'hub');
  const sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  const content = randomBytes(48 * MiB);
  await writeFile(path.join(sourceRoot, 'huge.bin'), content);

  const grpcPort = await freePort();
  const hub = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: grpcPort }, bytesPerSecond: 2 * MiB });
  const ws = (id: string) => path.join(tmp!.dir, id);
  const fast = startNodeProc({ id: 'fast', workspace: ws('fast'), hubPort: grpcPort, sessions: ['demo'] });
  // The proxy is the slow node's whole link: its Fetch streams stay on the main connection (MESH_HUB_FETCH=off).
  const slow = startNodeProc({ id: 'slow', workspace: ws('slow'), hubPort: proxy.port, sessions: ['demo'], env: { MESH_HUB_FETCH: 'off' } });
  await Promise.all([waitAttached(fast), waitAttached(slow)]);

  const abort = new AbortController();
  const progress: number[] = [];
  const pushed = hub.call('push', { session: 'demo', source: 'huge.bin' }, {
    signal: abort.signal,
    timeout: 120_000,
    onprogress: (p) => {
      progress.push(p.progress);
      // Progress is the mean over the nodes, in file bytes: past half, the slow node has verified bytes too.
      if (p.progress > content.length / 2 && !abort.signal.aborted) abort.abort();
    },
  });
  await expect(pushed).rejects.toThrow(/abort/i);
  expect(progress.length).toBeGreaterThan(0);
  expect(progress.at(-1)!).toBeLessThan(content.length); // cancelled before the slow node finished

  // The hub settles the cancel on every node, then forgets the transfer.
  await eventually(async () => data(await hub.call('status')).transfers.length === 0, 30_000);
  for (const id of ['fast', 'slow']) {
    const files = await filesUnder(path.join(ws(id), 'sessions', 'demo'));
    expect(files.filter((f) => /\.part-/.test(path.basename(f))), id).toEqual([]);
    const target = path.join(ws(id), 'sessions', 'demo', 'huge.bin');
    const st = await stat(target).catch(() => undefined);
    // Either the node finished before the cancel (whole file), or it has nothing.
    if (st) expect((await readFile(target)).equals(content), `${id} holds a partial target`).toBe(true);
  }
  const slowTarget = await stat(path.join(ws('slow'), 'sessions', 'demo', 'huge.bin')).catch(() => undefined);
  expect(slowTarget, 'the slow node was still receiving when cancelled').toBeUndefined();
  expect(await filesUnder(path.join(dataDir, 'staging'))).toEqual([]);

  // Regression: the mirror used to keep the cancelled file, and drift repair
  // then delivered it to the slow node at its next attach.
  expect(await stat(path.join(dataDir, 'sessions', 'demo', 'huge.bin')).catch(() => undefined)).toBeUndefined();
  expect((await filesUnder(path.join(dataDir, 'sessions', 'demo'))).filter((f) => f.includes('huge.bin'))).toEqual([]);
  await slow.kill('SIGKILL');
  const again = startNodeProc({ id: 'slow', workspace: ws('slow'), hubPort: grpcPort, sessions: ['demo'] });
  await waitAttached(again);
  await new Promise((r) => setTimeout(r, 2_000));
  const after = data(await hub.call('status'));
  expect(after.transfers).toEqual([]);
  expect(after.drift.filter((d: any) => d.node === 'slow' && d.path === 'huge.bin')).toEqual([]);
  expect(await stat(path.join(ws('slow'), 'sessions', 'demo', 'huge.bin')).catch(() => undefined)).toBeUndefined();
  expect(hub.transportErrors).toEqual([]);
}, 90_000);
