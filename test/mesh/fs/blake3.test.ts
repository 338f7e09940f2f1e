// The rule that binds a chunk a node checked by BLAKE3 to what the hub
// staged (blake3.ts): a chunk checked against any BLAKE3 other than the
// staged one is named, a chunk checked with SHA-256 (empty) never is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake3Mismatch, isBlake3Hex } from '../../../src/mesh/fs/blake3.js';

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('blake3Mismatch', () => {
  it('names the first chunk checked against a BLAKE3 that was not staged, and nothing else', () => {
    fc.assert(
      fc.property(fc.array(fc.option(hex, { nil: undefined }), { maxLength: 20 }), fc.array(fc.nat({ max: 2 }), { maxLength: 25 }), fc.array(hex, { maxLength: 25 }), (staged, how, other) => {
        // What a node reports: per chunk, SHA-256 (''), the staged BLAKE3, or some other digest.
        const checked = how.map((h, i) => (h === 0 ? '' : h === 1 ? (staged[i] ?? '') : (other[i] ?? 'f'.repeat(64))));
        const chunks = staged.map((blake3) => (blake3 ? { blake3 } : {}));
        const expected = checked.findIndex((c, i) => c !== '' && c !== staged[i]);
        expect(blake3Mismatch(checked, chunks)).toBe(expected < 0 ? undefined : expected);
      }),
    );
    expect(blake3Mismatch([], [])).toBeUndefined();
    expect(blake3Mismatch(['a'.repeat(64)], [{}])).toBe(0); // staged without BLAKE3: any claimed one is wrong
    expect(blake3Mismatch(['', 'b'.repeat(64)], [{ blake3: 'a'.repeat(64) }])).toBe(1); // past the staged chunks
  });

  it('takes only 64 lowercase hex digits as a digest', () => {
    expect(isBlake3Hex('a'.repeat(64))).toBe(true);
    for (const v of ['A'.repeat(64), 'a'.repeat(63), '', undefined, 1, { toString: () => 'a'.repeat(64) }]) expect(isBlake3Hex(v)).toBe(false);
  });
});
