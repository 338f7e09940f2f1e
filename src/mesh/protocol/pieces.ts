// Pure rules for cutting a chunk into the pieces a Fetch stream sends. A
// chunk (4 MiB, the unit of hashing and of resume) travels as 1 MiB messages:
// grpc-js gathers each message into one fresh buffer on the receiving side,
// and a fresh 4 MiB buffer per message costs a node more in page faults and
// collections than the copy itself (measured: gathering 1 GiB as 4 MiB
// messages took 0.68 s of CPU, as 1 MiB messages 0.31 s); the hub, too,
// then holds a few pieces per stream instead of a few chunks.

/** The piece size a node asks for on the main port (gRPC). */
export const NODE_PIECE_BYTES = 1024 * 1024;
/**
 * The piece size a node asks for on the fetch port. Whole 4 MiB chunks move
 * more bytes (1 GiB to 8 nodes, alternated: 591-747 MiB/s with 1 MiB pieces,
 * 771-863 with 4 MiB), but the hub's pool threads, at the main thread's
 * priority, then copy 4 MiB per read, and MCP `cat` p99 during a push went
 * from 1.59-1.94x of idle to 2.6-3.2x (bench/README.md). The loop wins.
 */
export const DATA_PIECE_BYTES = 1024 * 1024;
/** Smallest piece the hub sends, whatever a node asks: tiny pieces would only cost framing. */
export const MIN_PIECE_BYTES = 64 * 1024;

export interface PieceSpan {
  /** Where the piece starts within its chunk. */
  offset: number;
  length: number;
}

/**
 * The piece size for one stream: what the node asked (`maxPieceBytes` of its
 * FetchRequest, untrusted) clamped to [MIN_PIECE_BYTES, chunkSize]; a node
 * that asks nothing (0, absent or not a number) gets whole chunks.
 */
export function pieceBytesFor(asked: unknown, chunkSize: number): number {
  // Only a number (or a numeric string) counts: Number() of an arbitrary object may throw or call its code.
  const n = typeof asked === 'number' ? asked : typeof asked === 'string' ? Number(asked) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) return chunkSize;
  return Math.min(chunkSize, Math.max(MIN_PIECE_BYTES, n));
}

/** The pieces of a chunk of `size` bytes, in order; an empty chunk has none. */
export function piecesOf(size: number, pieceBytes: number): PieceSpan[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer (got ${size})`);
  if (!Number.isSafeInteger(pieceBytes) || pieceBytes <= 0) throw new RangeError(`pieceBytes must be a positive integer (got ${pieceBytes})`);
  const pieces: PieceSpan[] = [];
  for (let offset = 0; offset < size; offset += pieceBytes) pieces.push({ offset, length: Math.min(pieceBytes, size - offset) });
  return pieces;
}
