// The rules that cut a chunk into Fetch pieces: pieces tile the chunk exactly,
// in order, none larger than asked; a node's ask (untrusted) is clamped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_PIECE_BYTES, pieceBytesFor, piecesOf } from '../../../src/mesh/protocol/pieces.js';

describe('pieces', () => {
  it('tile a chunk exactly, in order, each at most the piece size', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1 << 20 }), fc.integer({ min: 256, max: 1 << 21 }), (size, pieceBytes) => {
        const pieces = piecesOf(size, pieceBytes);
        expect(pieces.length).toBe(Math.ceil(size / pieceBytes));
        let at = 0;
        for (const p of pieces) {
          expect(p.offset).toBe(at);
          expect(p.length).toBeGreaterThan(0);
          expect(p.length).toBeLessThanOrEqual(pieceBytes);
          at += p.length;
        }
        expect(at).toBe(size);
      }),
    );
  });

  it('clamp whatever a node asks to [MIN_PIECE_BYTES, chunk size]; asking nothing means whole chunks', () => {
    fc.assert(
      fc.property(fc.anything(), fc.integer({ min: MIN_PIECE_BYTES, max: 1 << 23 }), (asked, chunkSize) => {
        const bytes = pieceBytesFor(asked, chunkSize);
        expect(Number.isSafeInteger(bytes)).toBe(true);
        expect(bytes).toBeGreaterThanOrEqual(MIN_PIECE_BYTES);
        expect(bytes).toBeLessThanOrEqual(chunkSize);
      }),
    );
    for (const none of [0, undefined, null, -5, Number.NaN, 'x', 1.5, { toString: false }, { valueOf: () => 1 << 20 }]) expect(pieceBytesFor(none, 4 << 20)).toBe(4 << 20);
    expect(pieceBytesFor(1, 4 << 20)).toBe(MIN_PIECE_BYTES);
    expect(pieceBytesFor(1 << 20, 4 << 20)).toBe(1 << 20);
    expect(pieceBytesFor(2 ** 32 - 1, 4 << 20)).toBe(4 << 20);
  });

  it('refuse sizes that are not non-negative integers', () => {
    expect(() => piecesOf(-1, 10)).toThrow(RangeError);
    expect(() => piecesOf(10, 0)).toThrow(RangeError);
  });
});
