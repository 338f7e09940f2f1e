// A node killed with SIGKILL half-way through a push resumes where its part
// file stops verifying: after a restart (same id, same workspace) it fetches
// only what it had not verified, and ends with the right bytes. The bytes
// are counted by the proxy in front of the node (an independent observer),
// not taken from what the node reports about itself; the data is random, so
// it travels uncompressed and wire bytes match file bytes.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually, killAll } from '../../support/processes.js';
import {
  CHUNK_SIZE,
  chunkHashes,
  findPartFile,
  logLines,
  MiB,
  partSize,
  runningTransferId,
  sha256File,
  startMesh,
  verifiedChunks,
  WIRE_SLACK,
  waitForFile,
} from './helpers.js';

afterAll(killAll);

const SIZE = 64 * MiB;

it('a node killed half-way resumes from its verified prefix and fetches only the rest', async () => {
  const mesh = await startMesh();
  try {
    const file = { path: path.join(mesh.sourceDir, 'big.bin'), sha256: '' };
    await writeFile(file.path, randomBytes(SIZE));
    file.sha256 = (await sha256File(file.path))!;
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

    // Restart through the same proxy, unthrottled: same id, same workspace.
    const proxy = mesh.proxies.get('n1')!;
    const before = proxy.stats().down;
    const again = await mesh.startNode({ id: 'n1', sessions: ['s'], rate: Infinity });
    await waitForFile(target, file.sha256, 30_000);
    const delivered = logLines(again, 'delivered');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.resumedFromChunk).toBe(verified);
    // What crossed the link after the restart: the unverified rest, plus at
    // most one chunk cut short, plus framing and control traffic.
    await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 10_000);
    const resumedWire = proxy.stats().down - before;
    const rest = SIZE - verified * CHUNK_SIZE;
    expect(resumedWire).toBeGreaterThanOrEqual(rest);
    expect(resumedWire).toBeLessThanOrEqual(rest + CHUNK_SIZE + WIRE_SLACK(SIZE));
    expect(await findPartFile(target)).toBeUndefined();
  } finally {
    await mesh.close();
  }
}, 90_000);
