// The push pipeline with a slow source (staging waits before each chunk):
// nodes fetch chunks while later ones are still being staged; a push
// cancelled half-way leaves no file, part file or folder it made on the
// mirror or any node; a source written while it is pushed fails the push
// with SOURCE_CHANGED and no node keeps a mix of old and new bytes.
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestFile } from '../../../bench/lib/data.js';
import { eventually, killAll } from '../../support/processes.js';
import { CHUNK_SIZE, leftovers, MiB, partSize, runningTransferId, sha256File, startMesh } from './helpers.js';

afterAll(killAll);

const SIZE = 40 * MiB;

async function transferStatus(mesh: Awaited<ReturnType<typeof startMesh>>, id: string): Promise<{ stagedChunks: number; chunks: number } | undefined> {
  const status = await mesh.hub.call({ op: 'status' });
  return (status.transfers as Array<{ transferId: string; stagedChunks: number; chunks: number }>).find((t) => t.transferId === id);
}

describe('push pipeline', () => {
  it('a node holds verified chunks before staging of the last chunk ends', async () => {
    const mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'slow-source=300' } });
    try {
      const file = await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 5);
      await mesh.startNode({ id: 'n1', sessions: ['s'] });
      const target = mesh.nodeFile('n1', 's', 'big.bin');
      const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
      const id = await runningTransferId(mesh.hub, 's');
      // Observed on the node's disk: a whole chunk is in its part file...
      await eventually(async () => (await partSize(target)) >= CHUNK_SIZE, 30_000, 20);
      // ...while the hub has not staged the whole file yet.
      const status = await transferStatus(mesh, id);
      expect(status).toBeDefined();
      expect(status!.stagedChunks).toBeLessThan(status!.chunks);
      const result = await push;
      expect(result.sha256).toBe(file.sha256);
      expect(result.outcomes).toEqual([expect.objectContaining({ node: 'n1', status: 'ok', sha256: file.sha256 })]);
      expect(await sha256File(target)).toBe(file.sha256);
      expect(await sha256File(path.join(mesh.dataDir, 'sessions', 's', 'big.bin'))).toBe(file.sha256);
    } finally {
      await mesh.close();
    }
  }, 90_000);

  it('a cancelled push leaves no file, part file or folder it made, on the mirror or any node', async () => {
    const mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'slow-source=300' } });
    try {
      await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 6);
      await Promise.all(['n1', 'n2'].map((id) => mesh.startNode({ id, sessions: ['s'] })));
      const targets = ['n1', 'n2'].map((id) => mesh.nodeFile(id, 's', 'new/deeper/big.bin'));
      const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin', dest: 'new/deeper/big.bin' });
      const answer = push.then(
        (result) => ({ result }),
        (error) => ({ error }),
      );
      await runningTransferId(mesh.hub, 's');
      await eventually(async () => Math.min(...(await Promise.all(targets.map(partSize)))) >= CHUNK_SIZE, 30_000, 20);
      await mesh.hub.call({ op: 'cancel', pushId: 1 });
      const { error } = (await answer) as { error?: { code: string } };
      expect(error?.code).toBe('CANCELLED');
      await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 20_000);
      const roots = [path.join(mesh.dataDir, 'sessions', 's'), ...['n1', 'n2'].map((id) => path.join(mesh.workspace(id), 'sessions', 's'))];
      for (const root of roots) {
        await eventually(async () => !(await readdir(root)).includes('new'), 10_000).catch(async () => {
          throw new Error(`${root} still holds ${JSON.stringify(await leftovers(root))}`);
        });
        expect(await leftovers(root), root).toEqual([]);
      }
      expect(await readdir(path.join(mesh.dataDir, 'staging'))).toEqual([]);
    } finally {
      await mesh.close();
    }
  }, 90_000);

  it('a node away while its push was cancelled removes the part file when it attaches again', async () => {
    const mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'slow-source=300' } });
    try {
      await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 8);
      await Promise.all(['n1', 'n2'].map((id) => mesh.startNode({ id, sessions: ['s'] })));
      const away = mesh.nodeFile('n2', 's', 'big.bin');
      const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
      const answer = push.then(
        (result) => ({ result }),
        (error) => ({ error }),
      );
      await runningTransferId(mesh.hub, 's');
      await eventually(async () => (await partSize(away)) >= CHUNK_SIZE, 30_000, 20);
      await mesh.nodes.get('n2')!.kill('SIGKILL');
      await mesh.hub.call({ op: 'cancel', pushId: 1 });
      expect(((await answer) as { error?: { code: string } }).error?.code).toBe('CANCELLED');
      expect(await partSize(away)).toBeGreaterThan(0); // n2 never heard the cancel
      await mesh.startNode({ id: 'n2', sessions: ['s'] });
      await eventually(async () => (await partSize(away)) === 0, 20_000);
      expect(await leftovers(path.join(mesh.workspace('n2'), 'sessions', 's'))).toEqual([]);
    } finally {
      await mesh.close();
    }
  }, 90_000);

  it('a source written while it is pushed fails the push with SOURCE_CHANGED; no node keeps a mix', async () => {
    const mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'slow-source=300' } });
    try {
      const source = path.join(mesh.sourceDir, 'big.bin');
      await makeTestFile(source, SIZE, 7);
      await mesh.startNode({ id: 'n1', sessions: ['s'] });
      const target = mesh.nodeFile('n1', 's', 'big.bin');
      const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
      const answer = push.then(
        (result) => ({ result }),
        (error) => ({ error }),
      );
      const id = await runningTransferId(mesh.hub, 's');
      await eventually(async () => ((await transferStatus(mesh, id))?.stagedChunks ?? 0) >= 2, 30_000, 20);
      // Rewrite the first chunk, already staged and fetched: the file is now a different one.
      const handle = await open(source, 'r+');
      try {
        await handle.write(Buffer.alloc(1024, 0x41), 0, 1024, 0);
      } finally {
        await handle.close();
      }
      const { error } = (await answer) as { error?: { code: string; message: string } };
      expect(error?.code).toBe('SOURCE_CHANGED');
      await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 20_000);
      expect(await sha256File(target)).toBeUndefined();
      expect(await sha256File(path.join(mesh.dataDir, 'sessions', 's', 'big.bin'))).toBeUndefined();
      await eventually(async () => (await partSize(target)) === 0, 10_000);
      expect(await leftovers(path.join(mesh.workspace('n1'), 'sessions', 's'))).toEqual([]);
    } finally {
      await mesh.close();
    }
  }, 90_000);
});
