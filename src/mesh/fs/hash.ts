// The mesh's file hash (the content hash of content-hash.ts: SHA-256 over the
// SHA-256 of each 4 MiB block) and plain SHA-256 of chunks and buffers. Files
// are read one block at a time, so hashing a large file never holds it in
// memory; each block's digest runs on the libuv thread pool (WebCrypto), so
// hashing never blocks the event loop either.
import { createHash, webcrypto } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MeshError } from '../../errors.js';
import { CONTENT_BLOCK_SIZE, contentHashFromBlockHashes, contentHashOf } from './content-hash.js';
import { readUpTo } from './positional-io.js';

/**
 * Files under this size, bytes, are read into a buffer of their own size and
 * hashed on the calling thread (64 KiB is about 0.2 ms of SHA-256). A 4 MiB
 * block buffer for each small file is what a scan of 100,000 of them must not
 * do: V8 counts every such buffer as external memory and answers with a
 * scavenge every few files, and the young generation it grows under that
 * churn is kept for the life of the process.
 */
const SMALL_FILE_BYTES = 64 * 1024;

/** True for a SHA-256 digest as the mesh writes it: 64 lowercase hex digits. */
export function isSha256Hex(value: unknown): value is string {
  return isHex256(value);
}

/** A 256-bit digest as the mesh writes it: 64 lowercase hex digits (SHA-256, BLAKE3). */
export function isHex256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * Content hash of a regular file. A link or anything but a regular file
 * there is refused (PATH_SPECIAL_FILE): the open does not follow a link and
 * does not block on a FIFO swapped in.
 */
export async function hashFile(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new MeshError('PATH_SPECIAL_FILE', `${JSON.stringify(file)} is not a regular file`);
    return await hashHandle(handle, st.size);
  } finally {
    await handle.close();
  }
}

/**
 * Content hash of everything an open file holds, from its first byte.
 * `sizeHint`: the file's size when the caller knows it (bytes); a small file
 * is then read whole into a buffer of that size.
 */
export async function hashHandle(handle: FileHandle, sizeHint?: number): Promise<string> {
  if (sizeHint !== undefined && sizeHint < SMALL_FILE_BYTES) {
    // One byte more than the hint: a file that grew since fills it, and is read again block by block below.
    const small = Buffer.allocUnsafe(sizeHint + 1);
    const filled = await readUpTo(handle, small, 0);
    if (filled < small.length) return contentHashOf(small.subarray(0, filled));
  }
  const blocks: string[] = [];
  const buffer = Buffer.allocUnsafe(CONTENT_BLOCK_SIZE);
  for (let position = 0; ; ) {
    const filled = await readUpTo(handle, buffer, position);
    if (filled === 0) break;
    blocks.push(await sha256HexOffLoop(buffer.subarray(0, filled)));
    position += filled;
    if (filled < CONTENT_BLOCK_SIZE) break;
  }
  return contentHashFromBlockHashes(blocks);
}

/** Hex SHA-256 of bytes or a UTF-8 string, on the calling thread (small inputs). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Hex SHA-256 of bytes, computed on the libuv thread pool: a 4 MiB chunk
 * takes ~10 ms of CPU, which on the loop would stall every other call.
 * `data` must not change until the promise settles.
 */
export async function sha256HexOffLoop(data: Uint8Array): Promise<string> {
  const digest = await webcrypto.subtle.digest('SHA-256', data);
  return Buffer.from(digest).toString('hex');
}
