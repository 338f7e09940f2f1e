// A node killed with SIGKILL half-way through a push resumes where its part
// file stops verifying: after a restart (same id, same workspace) it fetches
// only what it had not verified, and ends with the right bytes.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTestFile } from '../../../bench/lib/data.js';
import { eventually, killAll } from '../../support/processes.js';
import { CHUNK_SIZE, chunkHashes, findPartFile, logLines, MiB, partSize, runningTransferId, startMesh, verifiedChunks, waitForFile } from './helpers.js';

afterAll(killAll);

const SIZE = 64 * MiB;

it('a node killed half-way resumes from its verified prefix and fetches only the rest', async () => {
  const mesh = await startMesh();
  try {
    const file = await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 3);
    const hashes = await chunkHashes(file.path);
    await mesh.startNode({ id: 'n1', sessions: ['s'], rate: 8 * MiB });
    const target = mesh.nodeFile('n1', 's', 'big.bin');

    const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
    push.catch(() => {});
    await runningTransferId(mesh.hub, 's');
    // Half-way: 40-60 % of the file in the part file.
    const reached = await eventually(async () => {
      const size = await partSize(target);
      return size >= SIZE * 0.4 ? size : 0;
    }, 30_000, 25);
    await mesh.nodes.get('n1')!.kill('SIGKILL');
    expect(reached).toBeLessThanOrEqual(SIZE * 0.6);

    const part = (await findPartFile(target))!;
    expect(part).toBeDefined();
    const verified = await verifiedChunks(part, hashes, SIZE);
    expect(verified).toBeGreaterThanOrEqual(Math.floor((SIZE * 0.4) / CHUNK_SIZE) - 1);
    expect(verified).toBeLessThan(hashes.length);
    // The hub saw the node go and answers `offline` for it; the delivery stays pending.
    const first = await push;
    expect(first.outcomes).toEqual([{ node: 'n1', status: 'offline' }]);

    // Restart without the throttle: same id, same workspace.
    const again = await mesh.startNode({ id: 'n1', sessions: ['s'] });
    await waitForFile(target, file.sha256, 30_000);
    const delivered = logLines(again, 'delivered');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.resumedFromChunk).toBe(verified);
    expect(delivered[0]!.fetchedBytes).toBeLessThanOrEqual(SIZE - verified * CHUNK_SIZE + CHUNK_SIZE);
    expect(delivered[0]!.fetchedBytes).toBeGreaterThanOrEqual(SIZE - verified * CHUNK_SIZE);
    expect(await findPartFile(target)).toBeUndefined();
    // The hub recorded the delivery as done: nothing left running.
    await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 10_000);
  } finally {
    await mesh.close();
  }
}, 90_000);
