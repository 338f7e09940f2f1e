// The one rule for printing sizes: the number read back times its unit is the
// byte count within the rounding shown, the unit is the largest that keeps
// the number at least 1, and each style keeps its own spelling.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../src/byte-sizes.js';

const POWER: Record<string, number> = { B: 0, bytes: 0, KiB: 1, MiB: 2, GiB: 3, TiB: 4 };

describe('formatBytes', () => {
  it('reads back to the byte count within its rounding, in the largest fitting unit', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(4096), fc.nat({ max: Number.MAX_SAFE_INTEGER })), fc.constantFrom('prose' as const, 'table' as const), (n, style) => {
        const text = formatBytes(n, style);
        const m = /^(\d+(?:\.\d)?) (B|bytes|KiB|MiB|GiB|TiB)$/.exec(text);
        expect(m, text).not.toBeNull();
        const [, num, unit] = m!;
        const scale = 1024 ** POWER[unit!]!;
        if (POWER[unit!] === 0) expect(Number(num)).toBe(n);
        else expect(Math.abs(Number(num) * scale - n)).toBeLessThanOrEqual(0.5 * scale * (num!.includes('.') ? 0.1 : 1) + 1e-6 * n);
        if (unit !== 'TiB') expect(n).toBeLessThan(1024 * scale);
        if (style === 'table') expect(unit === 'B' || num!.includes('.')).toBe(true);
        if (style === 'prose') expect(unit).not.toBe('B');
      }),
    );
  });

  it('spells each style as before', () => {
    expect([0, 512, 1536, 12 * 1024 * 1024].map((n) => formatBytes(n))).toEqual(['0 bytes', '512 bytes', '1.5 KiB', '12 MiB']);
    expect([0, 512, 1536, 12 * 1024 * 1024].map((n) => formatBytes(n, 'table'))).toEqual(['0 B', '512 B', '1.5 KiB', '12.0 MiB']);
  });
});
