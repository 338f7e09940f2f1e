// Pure rules for cutting a file into chunks.
import { CONTENT_BLOCK_SIZE } from './content-hash.js';

/**
 * A transfer's chunk is the content hash's block (4 MiB), so the file hash
 * follows from the chunk hashes and no byte is hashed twice.
 */
export const CHUNK_SIZE = CONTENT_BLOCK_SIZE;

export interface ChunkSpan {
  index: number;
  offset: number;
  length: number;
}

/** The chunks of a file of `size` bytes; an empty file has none. */
export function planChunks(size: number, chunkSize: number = CHUNK_SIZE): ChunkSpan[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer (got ${size})`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`chunkSize must be a positive integer (got ${chunkSize})`);
  const spans: ChunkSpan[] = [];
  for (let offset = 0, index = 0; offset < size; offset += chunkSize, index++) {
    spans.push({ index, offset, length: Math.min(chunkSize, size - offset) });
  }
  return spans;
}
