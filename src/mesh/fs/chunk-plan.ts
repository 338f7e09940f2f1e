// Pure rules for cutting a file into chunks and deciding how to store each.
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

/** Bytes of a chunk sampled to predict whether deflate pays off. */
export const COMPRESSION_PROBE_BYTES = 64 * 1024;

/**
 * Keep the compressed form only when it saves at least `minSaving` (default
 * 10%): below that, inflating on every node costs more than the bytes saved.
 */
export function worthCompressing(rawSize: number, compressedSize: number, minSaving = 0.1): boolean {
  return rawSize > 0 && compressedSize <= rawSize * (1 - minSaving);
}

/** Byte offset at which a resumed fetch starts, given the chunks already verified. */
export function resumeOffset(verifiedChunks: number, size: number, chunkSize: number = CHUNK_SIZE): number {
  return Math.min(size, Math.max(0, verifiedChunks) * chunkSize);
}
