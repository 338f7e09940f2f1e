// The log store's record codec, pure: one record per `set` or `delete`.
//
//   u32 LE  body length (bytes)
//   u32 LE  CRC-32 of the body
//   body:   u8 kind (1 set, 2 delete) | u32 LE key length | key (UTF-8) | value (UTF-8, set only)
//
// A crash can leave the last records of a batch cut short or half zeroed; the
// length and CRC tell such a torn tail from a whole record, so recovery keeps
// exactly the records that were written whole.
import { crc32 } from './crc32.js';

export const HEADER_BYTES = 8;
/** A body longer than this is not one we wrote (a torn length field): 512 MiB. */
export const MAX_BODY_BYTES = 512 * 1024 * 1024;
const KIND_SET = 1;
const KIND_DELETE = 2;

export type LogRecord = { kind: 'set'; key: string; value: string } | { kind: 'delete'; key: string };

export function encodeRecord(record: LogRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const value = record.kind === 'set' ? Buffer.from(record.value, 'utf8') : Buffer.alloc(0);
  const bodyLength = 1 + 4 + key.length + value.length;
  if (bodyLength > MAX_BODY_BYTES) throw new RangeError(`a record of ${bodyLength} bytes is over the ${MAX_BODY_BYTES}-byte limit`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  out.writeUInt32LE(bodyLength, 0);
  out.writeUInt8(record.kind === 'set' ? KIND_SET : KIND_DELETE, HEADER_BYTES);
  out.writeUInt32LE(key.length, HEADER_BYTES + 1);
  key.copy(out, HEADER_BYTES + 5);
  value.copy(out, HEADER_BYTES + 5 + key.length);
  out.writeUInt32LE(crc32(out, HEADER_BYTES, out.length), 4);
  return out;
}

/**
 * What sits at `offset` of `bytes`:
 * - `record`: a whole record `size` bytes long;
 * - `short`: a header or body that runs past the end of `bytes` (read more,
 *   or, at the end of the file, a torn tail);
 * - `torn`: bytes that are not a record we wrote (bad length, kind or CRC).
 */
export type Decoded = { status: 'record'; record: LogRecord; size: number } | { status: 'short'; need: number } | { status: 'torn' };

export function decodeRecord(bytes: Buffer, offset = 0): Decoded {
  if (bytes.length - offset < HEADER_BYTES) return { status: 'short', need: HEADER_BYTES };
  const bodyLength = bytes.readUInt32LE(offset);
  if (bodyLength < 5 || bodyLength > MAX_BODY_BYTES) return { status: 'torn' };
  const size = HEADER_BYTES + bodyLength;
  if (bytes.length - offset < size) return { status: 'short', need: size };
  const body = offset + HEADER_BYTES;
  if (crc32(bytes, body, offset + size) !== bytes.readUInt32LE(offset + 4)) return { status: 'torn' };
  const kind = bytes.readUInt8(body);
  const keyLength = bytes.readUInt32LE(body + 1);
  if (keyLength > bodyLength - 5 || (kind !== KIND_SET && kind !== KIND_DELETE)) return { status: 'torn' };
  const key = bytes.toString('utf8', body + 5, body + 5 + keyLength);
  if (kind === KIND_DELETE) return keyLength === bodyLength - 5 ? { status: 'record', record: { kind: 'delete', key }, size } : { status: 'torn' };
  return { status: 'record', record: { kind: 'set', key, value: bytes.toString('utf8', body + 5 + keyLength, offset + size) }, size };
}
