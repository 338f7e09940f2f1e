// The mesh's file hash, its "content hash": SHA-256 over the concatenated
// raw (32-byte) SHA-256 digests of the file's 4 MiB blocks, the last block
// shorter; an empty file has no blocks, so its hash is SHA-256 of nothing.
// This is the scheme of Dropbox's content hash. Why not SHA-256 of the whole
// file: a transfer verifies every chunk against its own hash anyway, so the
// file hash then costs 32 bytes per 4 MiB instead of a second pass over every
// byte, on the hub and on every node.
//
// By hand, for a file f:
//   split -b 4194304 -d -a 6 f blk.
//   for b in blk.*; do sha256sum "$b" | cut -c1-64; done | xxd -r -p | sha256sum
// (an empty file: `sha256sum /dev/null`).
import { createHash } from 'node:crypto';

/** 4 MiB: the block of the content hash, and the chunk of a transfer. */
export const CONTENT_BLOCK_SIZE = 4 * 1024 * 1024;

/** The content hash from the hex SHA-256 of each block, in order. */
export function contentHashFromBlockHashes(blockHashes: readonly string[]): string {
  const hash = createHash('sha256');
  for (const hex of blockHashes) {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new RangeError(`not a hex SHA-256 digest: ${JSON.stringify(hex).slice(0, 80)}`);
    hash.update(Buffer.from(hex, 'hex'));
  }
  return hash.digest('hex');
}

/** The hex SHA-256 of each block of `data`. */
export function blockHashesOf(data: Uint8Array, blockSize = CONTENT_BLOCK_SIZE): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < data.length; offset += blockSize) {
    out.push(createHash('sha256').update(data.subarray(offset, offset + blockSize)).digest('hex'));
  }
  return out;
}

/** The content hash of bytes held in memory (small files, tests). */
export function contentHashOf(data: Uint8Array | string): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return contentHashFromBlockHashes(blockHashesOf(bytes));
}
