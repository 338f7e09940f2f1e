// The data wire's rules (data-wire.ts), for any input: a request reads back
// as it was sent and not before its last byte; anything else (another
// protocol, a length past the limit, trailing bytes, not an object) is
// refused with INVALID_ARGUMENT and nothing else; an END carries its error;
// frame heads are held to their limits; and a sealed piece frame (the bytes
// both ports send) is a CHUNK frame of the data wire.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, MeshError, type ErrorCode } from '../../../src/errors.js';
import { pieceFrameCapacity, pieceFrameIn, writeChunkHeader } from '../../../src/mesh/protocol/chunk-wire.js';
import {
  DATA_MAGIC,
  encodeEnd,
  encodeRequest,
  FRAME_HEAD_BYTES,
  KIND_CHUNK,
  KIND_END,
  MAX_END_BYTES,
  MAX_REQUEST_BYTES,
  parseEnd,
  parseFrameHead,
  parseRequest,
} from '../../../src/mesh/protocol/data-wire.js';
import type { Chunk } from '../../../src/mesh/protocol/frames.js';
import { meshClientConstructor } from '../../../src/mesh/protocol/load.js';

const lengthHead = (length: number) => {
  const b = Buffer.alloc(DATA_MAGIC.length + 4);
  DATA_MAGIC.copy(b);
  b.writeUInt32BE(length, DATA_MAGIC.length);
  return b;
};

const refusal = (bytes: Buffer) => {
  try {
    return parseRequest(bytes) === undefined ? 'more' : 'request';
  } catch (err) {
    return err instanceof MeshError ? err.code : `not a MeshError: ${String(err)}`;
  }
};

describe('fetch requests', () => {
  const request = fc.record({
    authorization: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
    node: fc.option(fc.string({ maxLength: 64 }), { nil: undefined }),
    transferId: fc.option(fc.string({ maxLength: 64 }), { nil: undefined }),
    fromChunk: fc.option(fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })), { nil: undefined }),
    maxPieceBytes: fc.option(fc.nat(), { nil: undefined }),
  });

  it('read back as sent, and only once their last byte is in', () => {
    fc.assert(
      fc.property(request, (r) => {
        const bytes = encodeRequest(r);
        for (const cut of [0, 1, DATA_MAGIC.length, DATA_MAGIC.length + 3, bytes.length - 1]) expect(parseRequest(bytes.subarray(0, cut))).toBeUndefined();
        expect(parseRequest(bytes)).toEqual(JSON.parse(JSON.stringify(r)));
      }),
    );
  });

  it('refuse anything else with INVALID_ARGUMENT, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        expect(['more', 'INVALID_ARGUMENT', 'request']).toContain(refusal(Buffer.from(junk)));
        expect(['more', 'INVALID_ARGUMENT', 'request']).toContain(refusal(Buffer.concat([lengthHead(junk.length), junk])));
      }),
    );
    expect(refusal(Buffer.from('PRI * HTTP/2.0\r\n'))).toBe('INVALID_ARGUMENT');
    expect(refusal(lengthHead(MAX_REQUEST_BYTES + 1))).toBe('INVALID_ARGUMENT');
    expect(refusal(lengthHead(0xffffffff))).toBe('INVALID_ARGUMENT');
    for (const body of ['[]', '1', '"x"', 'null', '{']) expect(refusal(Buffer.concat([lengthHead(body.length), Buffer.from(body)]))).toBe('INVALID_ARGUMENT');
    expect(refusal(Buffer.concat([encodeRequest({ transferId: 'a', fromChunk: 0 }), Buffer.from('x')]))).toBe('INVALID_ARGUMENT');
    expect(() => encodeRequest({ transferId: 'x'.repeat(MAX_REQUEST_BYTES), fromChunk: 0 })).toThrow(/exceeds/);
  });

  it('pass on each field only of its type: an object with a hostile toString reaches no rule and no log line', () => {
    const body = Buffer.from(JSON.stringify({ authorization: { toString: 1 }, node: ['n1'], transferId: { toString: 0 }, fromChunk: '1', maxPieceBytes: {}, extra: 'dropped' }));
    expect(parseRequest(Buffer.concat([lengthHead(body.length), body]))).toEqual({});
    const ok = Buffer.from(JSON.stringify({ node: 'n1', transferId: 't', fromChunk: 2 }));
    expect(parseRequest(Buffer.concat([lengthHead(ok.length), ok]))).toEqual({ node: 'n1', transferId: 't', fromChunk: 2 });
  });
});

describe('end frames', () => {
  it('carry the error a Fetch ended with, or success', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(ERROR_CATALOGUE) as ErrorCode[])), fc.string({ maxLength: 300 }), (code, message) => {
        const frame = encodeEnd(new MeshError(code, message));
        expect(parseFrameHead(frame.subarray(0, FRAME_HEAD_BYTES), 1)).toEqual({ kind: KIND_END, length: frame.length - FRAME_HEAD_BYTES });
        const back = parseEnd(frame.subarray(FRAME_HEAD_BYTES))!;
        expect([back.code, back.message]).toEqual([code, message || code]);
      }),
    );
    expect(parseEnd(encodeEnd().subarray(FRAME_HEAD_BYTES))).toBeUndefined();
    expect(parseEnd(Buffer.from('{"code":"NOT_A_CODE","message":"m"}'))?.code).toBe('INTERNAL');
    expect(parseEnd(Buffer.from('not json'))?.code).toBe('INTERNAL');
  });
});

describe('frame heads', () => {
  const head = (kind: number, length: number) => {
    const b = Buffer.alloc(FRAME_HEAD_BYTES);
    b[0] = kind;
    b.writeUInt32BE(length, 1);
    return b;
  };
  it('are held to their limits', () => {
    expect(parseFrameHead(head(KIND_CHUNK, 1024), 1024)).toEqual({ kind: KIND_CHUNK, length: 1024 });
    expect(() => parseFrameHead(head(KIND_CHUNK, 1025), 1024)).toThrow(/outside/);
    expect(() => parseFrameHead(head(KIND_CHUNK, 0), 1024)).toThrow(/outside/);
    expect(() => parseFrameHead(head(KIND_END, MAX_END_BYTES + 1), 1024)).toThrow(/exceeds/);
    expect(() => parseFrameHead(head(7, 1), 1024)).toThrow(/unknown frame kind/);
  });

  it('of a sealed piece frame (what both ports send) make a CHUNK frame that decodes to the piece', () => {
    const data = Buffer.from('piece bytes');
    const header = { index: 3, rawSize: 4096, dataLength: data.length, compressed: false, offset: 1024 };
    const { frame, data: tail } = pieceFrameIn(Buffer.alloc(pieceFrameCapacity(data.length)), header);
    data.copy(tail);
    writeChunkHeader(frame, header, 'a'.repeat(64));
    const { kind, length } = parseFrameHead(frame.subarray(0, FRAME_HEAD_BYTES), 1 << 20);
    expect([kind, length]).toEqual([KIND_CHUNK, frame.length - FRAME_HEAD_BYTES]);
    const chunk = meshClientConstructor().service.Fetch!.responseDeserialize(frame.subarray(FRAME_HEAD_BYTES)) as Chunk;
    expect({ index: chunk.index, offset: chunk.offset, rawSize: chunk.rawSize, data: chunk.data.toString() }).toEqual({ index: 3, offset: 1024, rawSize: 4096, data: 'piece bytes' });
  });
});
