// The Fetch reply (`Chunk` in proto/mesh.proto) encoded by hand, so that one
// buffer per chunk serves every purpose: staging reads the source straight
// into the tail of the encoded message, hashes and writes that tail, and
// every node's Fetch stream sends the very same buffer. Encoding through
// protobufjs would copy the 4 MiB payload into a fresh buffer per chunk.
//
// Field order in the wire form is free in protobuf; `data` goes last so the
// header (every other field) has a size known before the data is read. The
// buffer starts with the 5-byte gRPC frame prefix, so that the frame itself
// is shared by every stream (shared-frames.ts).
import { GRPC_FRAME_PREFIX, sealFrame } from './shared-frames.js';

/** Wire tags: (field number << 3) | wire type (0 varint, 2 length-delimited). */
const TAG_INDEX = (1 << 3) | 0;
const TAG_DATA = (2 << 3) | 2;
const TAG_COMPRESSED = (3 << 3) | 0;
const TAG_SHA256 = (4 << 3) | 2;
const TAG_RAW_SIZE = (5 << 3) | 0;
/** A hex SHA-256 is always 64 ASCII bytes. */
const SHA256_HEX_BYTES = 64;

export interface ChunkHeader {
  index: number;
  /** Bytes of the raw chunk (before compression). */
  rawSize: number;
  /** Bytes of `data` on the wire. */
  dataLength: number;
  compressed: boolean;
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
    1 + varintLength(h.rawSize) +
    1 + varintLength(h.dataLength)
  );
}

/**
 * A gRPC frame of the right size for one chunk message; the payload goes
 * into `data` (a view of its tail).
 */
export function allocChunkMessage(h: ChunkHeader): { frame: Buffer; data: Buffer } {
  const headerLength = chunkHeaderLength(h);
  const frame = Buffer.allocUnsafe(GRPC_FRAME_PREFIX + headerLength + h.dataLength);
  return { frame, data: frame.subarray(GRPC_FRAME_PREFIX + headerLength) };
}

/** Fill in the frame prefix and message header of a frame from `allocChunkMessage` once the payload's hash is known. */
export function writeChunkHeader(frame: Buffer, h: ChunkHeader, sha256: string): void {
  if (sha256.length !== SHA256_HEX_BYTES) throw new RangeError('sha256 must be 64 hex digits');
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
  message[at++] = TAG_RAW_SIZE;
  at = writeVarint(message, at, h.rawSize);
  message[at++] = TAG_DATA;
  at = writeVarint(message, at, h.dataLength);
  if (at !== message.length - h.dataLength) throw new RangeError('chunk header does not fit its message');
  sealFrame(frame);
}

/** The protobuf message inside a frame (no copy). */
export function messageOfFrame(frame: Buffer): Buffer {
  return frame.subarray(GRPC_FRAME_PREFIX);
}

/** A whole frame from a payload already in memory (one copy of it). */
export function encodeChunkFrame(h: Omit<ChunkHeader, 'dataLength'>, data: Uint8Array, sha256: string): Buffer {
  const header = { ...h, dataLength: data.length };
  const { frame, data: tail } = allocChunkMessage(header);
  tail.set(data);
  writeChunkHeader(frame, header, sha256);
  return frame;
}
