// SHA-256 of files and buffers, streamed so that hashing a large file never
// holds it in memory nor blocks the event loop.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MeshError } from '../../errors.js';

const CHUNK = 64 * 1024;

/** True for a SHA-256 digest as the mesh writes it: 64 lowercase hex digits. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/**
 * Hex SHA-256 of a regular file's content, read in 64 KiB chunks. A link or
 * anything but a regular file there is refused (PATH_SPECIAL_FILE): the open
 * does not follow a link and does not block on a FIFO swapped in.
 */
export async function hashFile(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new MeshError('PATH_SPECIAL_FILE', `${JSON.stringify(file)} is not a regular file`);
    return await hashHandle(handle);
  } finally {
    await handle.close();
  }
}

/** Hex SHA-256 of everything an open file holds, from its first byte. */
export async function hashHandle(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}

/** Hex SHA-256 of bytes or a UTF-8 string. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
