// A push is never lost: the hub is stopped (SIGTERM) or killed (SIGKILL) at
// about 10 %, 50 % and 90 % of a push to three nodes, the points found by
// observed progress (the leading node's part file), not by time. Staging is
// slowed (a slow source), so the early points also cut staging short. A new
// hub on the same data folder finishes the push alone: the file ends on the
// mirror and on every node with the source's content hash, and no temp file,
// part file or empty folder is left anywhere. A SIGTERM answers the pending
// push call with an error that names the transfer and `status`.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestFile } from '../../../bench/lib/data.js';
import { eventually, killAll, waitAttached } from '../../support/processes.js';
import { leftovers, MiB, partSize, runningTransferId, sha256File, startMesh, waitForFile } from './helpers.js';

afterAll(killAll);

const SIZE = 40 * MiB; // 10 chunks: 10 % is one chunk in, 90 % is nine
const NODES = ['n1', 'n2', 'n3'];

const cases = (['SIGTERM', 'SIGKILL'] as const).flatMap((signal) => [0.1, 0.5, 0.9].map((at) => ({ signal, at })));

describe('a push survives the hub stopping or dying under it', () => {
  it.each(cases)('$signal at $at of the push: the file reaches the mirror and every node after a restart', async ({ signal, at }) => {
    const mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'slow-source=150' } });
    try {
      const file = await makeTestFile(path.join(mesh.sourceDir, 'd', 'big.bin'), SIZE, 23);
      // About 8 MiB/s each: the push takes several seconds per node.
      await Promise.all(NODES.map((id) => mesh.startNode({ id, sessions: ['s'], rate: 8 * MiB })));
      const targets = NODES.map((id) => mesh.nodeFile(id, 's', 'deep/big.bin'));
      const mirrorFile = path.join(mesh.dataDir, 'sessions', 's', 'deep', 'big.bin');

      const push = mesh.hub.send({ op: 'push', session: 's', source: 'd/big.bin', dest: 'deep/big.bin' });
      const answer = push.then(
        (result) => ({ result }),
        (error) => ({ error }),
      );
      const transferId = await runningTransferId(mesh.hub, 's');
      await eventually(async () => Math.max(...(await Promise.all(targets.map(partSize)))) >= SIZE * at, 60_000, 20);
      await mesh.hub.kill(signal);
      const code = await mesh.hub.exited;
      if (signal === 'SIGTERM') {
        expect(code).toBe(0); // a clean stop, not the 5 s SIGKILL of kill()
        const { error } = (await answer) as { error?: { code: string; message: string } };
        expect(error?.code).toBe('HUB_STOPPING');
        expect(error?.message).toContain(transferId);
        expect(error?.message).toContain('status');
      }
      // Nothing was finished or thrown away by the stop.
      expect(await sha256File(mirrorFile)).toBeUndefined();

      const hub = await mesh.startHub();
      const restored = JSON.parse(await hub.waitFor(/"msg":"state restored from the store"/));
      expect(restored.pendingTransfers).toBe(1);
      for (const id of NODES) await waitAttached(mesh.nodes.get(id)!, 2, 30_000);
      for (const id of NODES) mesh.proxies.get(id)!.setRate(Infinity);
      for (const t of targets) await waitForFile(t, file.sha256, 60_000);
      await waitForFile(mirrorFile, file.sha256, 30_000);
      await eventually(async () => (await hub.call({ op: 'status' })).transfers.length === 0, 20_000);

      const roots = [path.join(mesh.dataDir, 'sessions'), path.join(mesh.dataDir, 'staging'), ...NODES.map((id) => path.join(mesh.workspace(id), 'sessions'))];
      for (const root of roots) expect(await leftovers(root), root).toEqual([]);
      await eventually(async () => (await readdir(path.join(mesh.dataDir, 'staging'))).length === 0, 10_000);
    } finally {
      await mesh.close();
    }
  }, 120_000);
});
