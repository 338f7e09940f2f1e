// The rule for taking in a Fetch piece (piece-intake.ts): pieces that tile a
// chunk in order are taken as they are, whatever the cut; a piece of another
// chunk, out of place, past the end or empty is refused; a compressed piece
// must be a whole chunk and inflate to exactly one, and a deflate bomb is
// refused without being inflated past the chunk's size.
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pieceBytes } from '../../../src/mesh/node/piece-intake.js';

const at = (filled: number, length: number, index = 3) => ({ index, filled, length, path: 'f.bin' });
const piece = (data: Buffer, offset: number, extra: { index?: number; compressed?: boolean } = {}) => ({ index: extra.index ?? 3, data, offset, compressed: extra.compressed ?? false });

describe('pieceBytes', () => {
  it('takes any in-order cut of a chunk, and the bytes taken are the chunk', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4096 }), fc.array(fc.integer({ min: 1, max: 1024 }), { minLength: 1, maxLength: 20 }), async (length, cuts) => {
        const chunk = randomBytes(length);
        const taken: Buffer[] = [];
        let filled = 0;
        for (let i = 0; filled < length; i++) {
          const size = Math.min(cuts[i % cuts.length]!, length - filled);
          taken.push(await pieceBytes(piece(chunk.subarray(filled, filled + size), filled), at(filled, length)));
          filled += size;
        }
        expect(Buffer.concat(taken).equals(chunk)).toBe(true);
      }),
    );
  });

  it('refuses a piece of another chunk, out of place, past the end, or empty', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4096 }), fc.nat(), fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0), async (length, f, shift) => {
        const filled = f % length;
        const data = randomBytes(Math.max(1, Math.min(16, length - filled)));
        // Out of place: before or after where the last piece ended.
        const elsewhere = filled + shift >= 0 ? filled + shift : filled - shift;
        await expect(pieceBytes(piece(data, elsewhere), at(filled, length))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
        // Another chunk.
        await expect(pieceBytes(piece(data, filled, { index: 3 + shift }), at(filled, length))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
        // Past the end.
        await expect(pieceBytes(piece(randomBytes(length - filled + 1), filled), at(filled, length))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
        // Empty.
        await expect(pieceBytes(piece(Buffer.alloc(0), filled), at(filled, length))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
      }),
    );
  });

  it('takes a compressed whole chunk, and refuses one that is not whole or does not inflate to the chunk', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'mesh ');
    expect((await pieceBytes(piece(deflateSync(chunk), 0, { compressed: true }), at(0, chunk.length))).equals(chunk)).toBe(true);
    await expect(pieceBytes(piece(deflateSync(chunk.subarray(0, 10)), 10, { compressed: true }), at(10, chunk.length))).rejects.toThrow(/not a whole chunk/);
    await expect(pieceBytes(piece(deflateSync(chunk.subarray(1)), 0, { compressed: true }), at(0, chunk.length))).rejects.toThrow(/inflates to 65535 bytes/);
    await expect(pieceBytes(piece(randomBytes(100), 0, { compressed: true }), at(0, chunk.length))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
  });

  it('refuses a deflate bomb without inflating it past the chunk', async () => {
    // 256 MiB of zeros deflate to about 256 KiB; the chunk is 4 MiB.
    const bomb = deflateSync(Buffer.alloc(256 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    await expect(pieceBytes(piece(bomb, 0, { compressed: true }), at(0, 4 * 1024 * 1024))).rejects.toThrow(/does not inflate to at most 4194304 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});
