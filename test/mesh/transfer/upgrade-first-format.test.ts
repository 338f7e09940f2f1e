// A push accepted by a hub of the first record format (one staged file per
// chunk, some deflated, a whole-file SHA-256) is still delivered after an
// upgrade: the new hub carries it over to one data file and today's content
// hash at start, and the node ends with the source's bytes. A first-format
// transfer whose staged chunk is damaged is dropped with a warning that says
// so, and leaves no staging behind.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { contentHashOf } from '../../../src/mesh/fs/content-hash.js';
import { MeshStore } from '../../../src/mesh/store/mesh-store.js';
import type { TransferRecord } from '../../../src/mesh/store/records.js';
import { killAll } from '../../support/processes.js';
import { CHUNK_SIZE, MiB, startMesh, waitForFile } from './helpers.js';

afterAll(killAll);

/** Stage `data` as a first-format hub did: `<index>.chunk` files, deflated when asked, and the record it stored. */
async function stageFirstFormat(dataDir: string, id: string, dest: string, data: Buffer, deflated: boolean[]): Promise<TransferRecord> {
  const dir = path.join(dataDir, 'staging', id);
  await mkdir(dir, { recursive: true });
  const chunks = [];
  for (let index = 0, offset = 0; offset < data.length; index++, offset += CHUNK_SIZE) {
    const raw = data.subarray(offset, offset + CHUNK_SIZE);
    const body = deflated[index] ? deflateSync(raw) : raw;
    await writeFile(path.join(dir, `${index}.chunk`), body);
    chunks.push({ sha256: createHash('sha256').update(raw).digest('hex'), size: raw.length, compressed: Boolean(deflated[index]), wireSize: body.length });
  }
  // No `format`: the first format's records did not carry one.
  return {
    id,
    kind: 'push',
    session: 's',
    path: dest,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    chunkSize: CHUNK_SIZE,
    chunks,
    createdAt: Date.now(),
    targets: ['n1'],
  } as TransferRecord;
}

describe('transfers staged by a hub of the first record format', () => {
  it('are delivered after an upgrade; a damaged one is dropped with its reason', async () => {
    const mesh = await startMesh();
    try {
      await mesh.startNode({ id: 'n1', sessions: ['s'] });
      await mesh.hub.kill('SIGTERM');
      expect(await mesh.hub.exited).toBe(0);

      // 9 MiB: a deflated chunk (text-like), a raw one (random), and a short last one.
      const data = Buffer.concat([Buffer.alloc(CHUNK_SIZE, 'mesh assistant '), randomBytes(CHUNK_SIZE), randomBytes(1 * MiB)]);
      const good = await stageFirstFormat(mesh.dataDir, 'a1a1a1a1a1a1a1a1', 'old/kept.bin', data, [true, false, false]);
      const broken = await stageFirstFormat(mesh.dataDir, 'b2b2b2b2b2b2b2b2', 'old/broken.bin', randomBytes(5 * MiB), [false, false]);
      const damaged = path.join(mesh.dataDir, 'staging', broken.id, '1.chunk');
      const bytes = await readFile(damaged);
      bytes[10] ^= 0xff;
      await writeFile(damaged, bytes);
      const store = await MeshStore.open(undefined, mesh.dataDir);
      for (const record of [good, broken]) {
        await store.putTransfer(record);
        await store.putDelivery({ transferId: record.id, node: 'n1', state: 'pending', verifiedChunks: 0, bytes: 0, updatedAt: Date.now() });
      }
      await store.close();

      const hub = await mesh.startHub();
      expect(JSON.parse(await hub.waitFor(/"msg":"transfer from an older hub version carried over"/)).transfer).toBe(good.id);
      const refused = JSON.parse(await hub.waitFor(/"msg":"transfer from an older hub version could not be carried over/));
      expect(refused.transfer).toBe(broken.id);
      expect(refused.err).toContain('chunk 1');
      await waitForFile(mesh.nodeFile('n1', 's', 'old/kept.bin'), contentHashOf(data), 30_000);
      expect(await readdir(path.join(mesh.dataDir, 'staging'))).not.toContain(broken.id);
      expect(await readdir(path.join(mesh.workspace('n1'), 'sessions', 's', 'old'))).toEqual(['kept.bin']);
    } finally {
      await mesh.close();
    }
  }, 90_000);
});
