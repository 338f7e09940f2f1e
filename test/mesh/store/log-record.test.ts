// The log store's record codec: every record decodes to itself, a record cut
// anywhere reads as short (never as another record), and any single flipped
// byte is caught (length, kind or CRC), so recovery can never take a torn
// tail for data.
import fc from 'fast-check';
import zlib from 'node:zlib';
import { expect, it } from 'vitest';
import { crc32 } from '../../../src/mesh/store/crc32.js';
import { decodeRecord, encodeRecord, HEADER_BYTES, type LogRecord } from '../../../src/mesh/store/log-record.js';

// Keyv hands the store JSON text, whose strings are well-formed (JSON.stringify escapes lone surrogates).
const text = fc.string({ unit: 'grapheme', maxLength: 200 });
const record: fc.Arbitrary<LogRecord> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: text, value: text }),
  fc.record({ kind: fc.constant('delete' as const), key: text }),
);

it('crc32 agrees with zlib', () => {
  const zcrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    expect(crc32(bytes)).toBe(zcrc ? zcrc(bytes) : crc32(Buffer.from(bytes)));
  }));
  expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the check value of CRC-32/ISO-HDLC
});

it('a record decodes to itself, also inside a longer buffer', () => {
  fc.assert(fc.property(record, fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }), (r, before, after) => {
    const bytes = encodeRecord(r);
    expect(decodeRecord(bytes)).toEqual({ status: 'record', record: r, size: bytes.length });
    const framed = Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]);
    expect(decodeRecord(framed, before.length)).toEqual({ status: 'record', record: r, size: bytes.length });
  }));
});

it('a record cut short is short, never a record', () => {
  fc.assert(fc.property(record, fc.nat(), (r, cut) => {
    const bytes = encodeRecord(r);
    const prefix = bytes.subarray(0, cut % bytes.length);
    expect(decodeRecord(prefix).status).toBe('short');
  }));
});

it('one flipped byte anywhere is torn or short, never a record', () => {
  fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, at, xor) => {
    const bytes = Buffer.from(encodeRecord(r));
    const i = at % bytes.length;
    bytes[i] = bytes[i]! ^ xor;
    // A flipped length byte can make the record look longer than the buffer ("short"); recovery at the end of the file then cuts it.
    expect(decodeRecord(bytes).status).not.toBe('record');
  }));
});

it('zeroed space (a torn write the file system padded) is torn, not a record', () => {
  fc.assert(fc.property(fc.integer({ min: HEADER_BYTES, max: 4096 }), (n) => {
    expect(decodeRecord(Buffer.alloc(n)).status).toBe('torn');
  }));
});
