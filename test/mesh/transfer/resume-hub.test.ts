// The hub killed with SIGKILL half-way through a push to three nodes: a new
// hub on the same data folder and port finishes the push from the store and
// the staging folder alone (nobody pushes again), and every member ends with
// the source's bytes. Once on the embedded store, once on PostgreSQL.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestFile } from '../../../bench/lib/data.js';
import { dropTable, freshPgStoreUrl, postgresAvailable } from '../../support/postgres.js';
import { eventually, killAll, waitAttached } from '../../support/processes.js';
import { CHUNK_SIZE, logLines, MiB, partSize, runningTransferId, startMesh, waitForFile } from './helpers.js';

afterAll(killAll);

const SIZE = 32 * MiB;
const NODES = ['n1', 'n2', 'n3'];

const stores = [
  { name: 'embedded SQLite', url: () => undefined as string | undefined },
  { name: 'PostgreSQL', url: () => freshPgStoreUrl() },
];

describe.each(stores)('a push survives a hub crash ($name)', ({ name, url }) => {
  it('every member ends with the identical file after the hub restarts', async (ctx) => {
    if (name === 'PostgreSQL' && !(await postgresAvailable())) return ctx.skip();
    const storeUrl = url();
    const mesh = await startMesh({ storeUrl });
    try {
      const file = await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 11);
      // About 6 MiB/s each: the push takes several seconds per node.
      await Promise.all(NODES.map((id) => mesh.startNode({ id, sessions: ['s'], rate: 6 * MiB })));
      const targets = NODES.map((id) => mesh.nodeFile(id, 's', 'big.bin'));

      const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
      push.catch(() => {}); // the hub dies before it answers
      const transferId = await runningTransferId(mesh.hub, 's');
      // Half-way on the first node to get there.
      await eventually(async () => {
        const sizes = await Promise.all(targets.map(partSize));
        return Math.max(...sizes) >= SIZE * 0.4;
      }, 30_000, 25);
      await mesh.hub.kill('SIGKILL');
      const sizesAtCrash = await Promise.all(targets.map(partSize));
      expect(Math.max(...sizesAtCrash)).toBeLessThan(SIZE);

      const hub = await mesh.startHub();
      await hub.waitFor(/"msg":"state restored from the store"/);
      const restored = JSON.parse(hub.lines.find((l) => l.includes('state restored'))!);
      expect(restored.pendingTransfers).toBe(1);
      // Each node re-attaches by itself and the hub resumes its delivery.
      for (const id of NODES) await waitAttached(mesh.nodes.get(id)!, 2, 30_000);
      for (const id of NODES) mesh.proxies.get(id)!.setRate(Infinity);
      for (const t of targets) await waitForFile(t, file.sha256, 40_000);

      // No node started over: the run that finished fetched only what it had
      // not verified (a run that outlived the crash kept its place too).
      for (const id of NODES) {
        const line = logLines(mesh.nodes.get(id)!, 'delivered').find((l) => l.transfer === transferId);
        expect(line, `delivered line of ${id}`).toBeDefined();
        expect(line!.fetchedBytes).toBeLessThanOrEqual(SIZE - line!.resumedFromChunk * CHUNK_SIZE + CHUNK_SIZE);
      }
      // The transfer is finished and forgotten: the store holds nothing for it.
      await eventually(async () => (await hub.call({ op: 'status' })).transfers.length === 0, 10_000);
      for (const t of targets) expect(await partSize(t)).toBe(0);
    } finally {
      await mesh.close();
      if (storeUrl) await dropTable(storeUrl);
    }
  }, 90_000);
});
