// The Fetch reply (`Chunk` in proto/mesh.proto: one piece of a chunk)
// encoded by hand, so that a Fetch stream reads the staged bytes straight
// into the tail of the encoded message, in a buffer it reuses for every
// piece, and sends that buffer as is. Encoding through protobufjs would copy
// each payload into a fresh buffer, per piece and per node.
//
// Field order in the wire form is free in protobuf; `data` goes last so the
// header (every other field) has a size known before the data is read. The
// buffer starts with the 5-byte gRPC frame prefix, so that grpc-js sends the
// frame without framing (copying) it again (shared-frames.ts).
import { GRPC_FRAME_PREFIX, sealFrame } from './shared-frames.js';

/** Wire tags: (field number << 3) | wire type (0 varint, 2 length-delimited). */
const TAG_INDEX = (1 << 3) | 0;
const TAG_DATA = (2 << 3) | 2;
const TAG_COMPRESSED = (3 << 3) | 0;
const TAG_SHA256 = (4 << 3) | 2;
const TAG_RAW_SIZE = (5 << 3) | 0;
const TAG_OFFSET = (6 << 3) | 0;
const TAG_BLAKE3 = (7 << 3) | 2;
/** A hex SHA-256 is always 64 ASCII bytes. */
const SHA256_HEX_BYTES = 64;

export interface ChunkHeader {
  index: number;
  /** Bytes of the raw chunk (before compression), the whole chunk's even in a piece. */
  rawSize: number;
  /** Bytes of `data` on the wire. */
  dataLength: number;
  compressed: boolean;
  /** Where `data` starts within the chunk; absent or 0 for a whole chunk or its first piece. */
  offset?: number;
  /** Whether the chunk's BLAKE3 goes along (64 hex digits, like its SHA-256). */
  blake3?: boolean;
}

function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[offset++] = value;
  return offset;
}

/** Bytes taken by every field but the payload of `data`. */
export function chunkHeaderLength(h: ChunkHeader): number {
  return (
    1 + varintLength(h.index) +
    (h.compressed ? 2 : 0) +
    1 + 1 + SHA256_HEX_BYTES +
    (h.blake3 ? 1 + 1 + SHA256_HEX_BYTES : 0) +
    1 + varintLength(h.rawSize) +
    (h.offset ? 1 + varintLength(h.offset) : 0) +
    1 + varintLength(h.dataLength)
  );
}

/** The largest header any piece can have (every field at its largest value). */
const MAX_HEADER_BYTES = chunkHeaderLength({ index: 0xffffffff, rawSize: 0xffffffff, dataLength: 0xffffffff, compressed: true, offset: 0xffffffff, blake3: true });

/** Bytes a reusable buffer needs to hold the frame of any piece of up to `pieceBytes`. */
export function pieceFrameCapacity(pieceBytes: number): number {
  return GRPC_FRAME_PREFIX + MAX_HEADER_BYTES + pieceBytes;
}

/**
 * The frame of one piece laid out at the start of `buffer` (from
 * `pieceFrameCapacity`, reused): `frame` is exactly the frame's bytes, `data`
 * the view its payload goes into. Both are views of `buffer`, no copy.
 */
export function pieceFrameIn(buffer: Buffer, h: ChunkHeader): { frame: Buffer; data: Buffer } {
  const length = GRPC_FRAME_PREFIX + chunkHeaderLength(h) + h.dataLength;
  if (length > buffer.length) throw new RangeError(`a piece frame of ${length} bytes does not fit a buffer of ${buffer.length}`);
  const frame = buffer.subarray(0, length);
  return { frame, data: frame.subarray(length - h.dataLength) };
}

/** Fill in the frame prefix and message header of a frame from `pieceFrameIn` once the payload's hash is known. */
export function writeChunkHeader(frame: Buffer, h: ChunkHeader, sha256: string, blake3?: string): void {
  if (sha256.length !== SHA256_HEX_BYTES) throw new RangeError('sha256 must be 64 hex digits');
  if (Boolean(h.blake3) !== (blake3 !== undefined) || (blake3 !== undefined && blake3.length !== SHA256_HEX_BYTES)) {
    throw new RangeError('blake3 must be 64 hex digits, given exactly when the header says so');
  }
  const message = frame.subarray(GRPC_FRAME_PREFIX);
  let at = 0;
  message[at++] = TAG_INDEX;
  at = writeVarint(message, at, h.index);
  if (h.compressed) {
    message[at++] = TAG_COMPRESSED;
    message[at++] = 1;
  }
  message[at++] = TAG_SHA256;
  message[at++] = SHA256_HEX_BYTES;
  at += message.write(sha256, at, 'latin1');
  if (blake3 !== undefined) {
    message[at++] = TAG_BLAKE3;
    message[at++] = SHA256_HEX_BYTES;
    at += message.write(blake3, at, 'latin1');
  }
  message[at++] = TAG_RAW_SIZE;
  at = writeVarint(message, at, h.rawSize);
  if (h.offset) {
    message[at++] = TAG_OFFSET;
    at = writeVarint(message, at, h.offset);
  }
  message[at++] = TAG_DATA;
  at = writeVarint(message, at, h.dataLength);
  if (at !== message.length - h.dataLength) throw new RangeError('chunk header does not fit its message');
  sealFrame(frame);
}

/** The protobuf message inside a frame (no copy). */
export function messageOfFrame(frame: Buffer): Buffer {
  return frame.subarray(GRPC_FRAME_PREFIX);
}
