// A Fetch stream sends each chunk as the pieces the node asked for, read into
// buffers the hub reuses from piece to piece: the bytes a node receives are
// the file's, piece after piece, whatever the piece size it asks (a hostile
// size is clamped), and a node that asks none (an older agent) gets whole
// chunks. A buffer reused before its frame was written out would show here as
// wrong bytes in an earlier piece.
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { MIN_PIECE_BYTES, NODE_PIECE_BYTES } from '../../../src/mesh/protocol/pieces.js';
import type { Chunk } from '../../../src/mesh/protocol/frames.js';
import { attackFixture } from '../../security/fixture.js';
import { mint } from '../../security/operator.js';
import { CHUNK_SIZE, MiB, runningTransferId, waitFullyStaged } from './helpers.js';

const fixture = attackFixture();

function chunkHash(data: Buffer, index: number): string {
  return createHash('sha256').update(data.subarray(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE)).digest('hex');
}

/** Every piece continues the one before it, carries its chunk's hash and size, and together they are `file`. */
function expectPiecesOf(file: Buffer, pieces: Chunk[], pieceBytes: number): void {
  let at = 0;
  for (const piece of pieces) {
    const index = Math.floor(at / CHUNK_SIZE);
    const offset = at - index * CHUNK_SIZE;
    const chunkSize = Math.min(CHUNK_SIZE, file.length - index * CHUNK_SIZE);
    expect({ index: piece.index, offset: piece.offset, rawSize: piece.rawSize, sha256: piece.sha256 }).toEqual({ index, offset, rawSize: chunkSize, sha256: chunkHash(file, index) });
    expect(piece.data.length).toBe(Math.min(pieceBytes, chunkSize - offset));
    expect(Buffer.compare(piece.data, file.subarray(at, at + piece.data.length))).toBe(0);
    at += piece.data.length;
  }
  expect(at).toBe(file.length);
}

it('sends pieces of the asked size, clamps a hostile one, and whole chunks to a node that asks none', async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, 's');
  const h = fixture.hostile({ port: mesh.port, nodeId: 'reader', token, sessions: ['s'] });
  const welcome = await h.waitFrame('welcome');
  // Two whole chunks and a short one.
  const file = randomBytes(2 * CHUNK_SIZE + MiB + 12345);
  await writeFile(path.join(mesh.sourceDir, 'big.bin'), file);
  mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' }).catch(() => {});
  const transferId = await runningTransferId(mesh.hub, 's');
  await waitFullyStaged(mesh.hub, transferId);
  const node = fixture.hostile({ port: mesh.port, nodeId: 'reader', token: welcome.welcome.credential });

  const asked = await node.fetchAll({ transferId, fromChunk: 0, maxPieceBytes: NODE_PIECE_BYTES });
  expect(asked.length).toBe(4 + 4 + 2);
  expectPiecesOf(file, asked, NODE_PIECE_BYTES);

  const whole = await node.fetchAll({ transferId, fromChunk: 0 });
  expect(whole.map((c) => c.data.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, MiB + 12345]);
  expectPiecesOf(file, whole, CHUNK_SIZE);

  const tiny = await node.fetchAll({ transferId, fromChunk: 0, maxPieceBytes: 1 });
  expectPiecesOf(file, tiny, MIN_PIECE_BYTES);

  const huge = await node.fetchAll({ transferId, fromChunk: 0, maxPieceBytes: 0xffffffff });
  expectPiecesOf(file, huge, CHUNK_SIZE);

  // Resumed from the last chunk: only its pieces.
  const resumed = await node.fetchAll({ transferId, fromChunk: 2, maxPieceBytes: NODE_PIECE_BYTES });
  expectPiecesOf(file.subarray(0), [...asked.slice(0, 8), ...resumed], NODE_PIECE_BYTES);
});
