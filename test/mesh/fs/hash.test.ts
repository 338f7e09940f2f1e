// The file hash read from an open file agrees with the content hash of its
// bytes whatever size the caller believed the file had: a small file is read
// into a buffer of its stated size, and one that grew since is read again in
// blocks.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_BLOCK_SIZE, contentHashOf } from '../../../src/mesh/fs/content-hash.js';
import { hashFile, hashHandle } from '../../../src/mesh/fs/hash.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'file-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hashWithHint(data: Uint8Array, hint: number | undefined): Promise<string> {
  const file = path.join(dir, 'f');
  await writeFile(file, data);
  const handle = await open(file, 'r');
  try {
    return await hashHandle(handle, hint);
  } finally {
    await handle.close();
  }
}

describe('file hash', () => {
  it('is the content hash of the bytes, with a size hint that is right, short or long', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 70 * 1024 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), async (data, off, hinted) => {
        const hint = hinted ? Math.max(0, data.length + off) : undefined;
        expect(await hashWithHint(data, hint)).toBe(contentHashOf(data));
      }),
      { numRuns: 60 },
    );
  });

  it('reads a file that grew past its small hint block by block', async () => {
    const data = Buffer.alloc(CONTENT_BLOCK_SIZE + 10, 7);
    expect(await hashWithHint(data, 5)).toBe(contentHashOf(data));
  });

  it('of an empty file and of a small file by path', async () => {
    expect(await hashWithHint(Buffer.alloc(0), 0)).toBe(contentHashOf(Buffer.alloc(0)));
    await writeFile(path.join(dir, 'g'), 'hello\n');
    expect(await hashFile(path.join(dir, 'g'))).toBe(contentHashOf('hello\n'));
  });
});
