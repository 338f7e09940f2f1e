// The content hash is a public definition (README): checked against an
// independent computation with the system's own tools, and as properties.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTENT_BLOCK_SIZE, blockHashesOf, contentHashFromBlockHashes, contentHashOf } from '../../../src/mesh/fs/content-hash.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

describe('content hash', () => {
  it('of an empty file is SHA-256 of nothing', () => {
    expect(contentHashOf(Buffer.alloc(0))).toBe(createHash('sha256').digest('hex'));
  });

  it('is SHA-256 over the raw block digests', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (data, block) => {
        const blocks: Buffer[] = [];
        for (let o = 0; o < data.length; o += block) blocks.push(sha(data.subarray(o, o + block)));
        const expected = createHash('sha256').update(Buffer.concat(blocks)).digest('hex');
        expect(contentHashFromBlockHashes(blockHashesOf(data, block))).toBe(expected);
      }),
    );
  });

  it('tells apart files that differ in one byte or in length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (data, at) => {
        const flipped = Buffer.from(data);
        const i = at % flipped.length;
        flipped[i] = flipped[i]! ^ 1;
        expect(contentHashOf(flipped)).not.toBe(contentHashOf(data));
        expect(contentHashOf(Buffer.concat([Buffer.from(data), Buffer.alloc(1)]))).not.toBe(contentHashOf(data));
      }),
    );
  });

  it('matches the recipe the README gives, run with split, sha256sum and xxd', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'content-hash-'));
    try {
      const data = Buffer.alloc(CONTENT_BLOCK_SIZE * 2 + 12345);
      for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 0xff;
      writeFileSync(path.join(dir, 'f'), data);
      const byHand = execFileSync(
        'sh',
        ['-c', 'split -b 4194304 -d -a 6 f blk. && for b in blk.*; do sha256sum "$b" | cut -c1-64; done | xxd -r -p | sha256sum | cut -c1-64'],
        { cwd: dir, encoding: 'utf8' },
      ).trim();
      expect(byHand).toBe(contentHashOf(data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a block hash that is not hex SHA-256', () => {
    expect(() => contentHashFromBlockHashes(['abc'])).toThrow(RangeError);
  });
});
