// The hand-built Fetch reply frame decodes, through the proto loader both
// sides use, to exactly the Chunk it stands for, for any index, size and
// payload; and grpc-js sends a sealed frame as is (no second prefix).
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { chunkHeaderLength, messageOfFrame, pieceFrameCapacity, pieceFrameIn, writeChunkHeader, type ChunkHeader } from '../../../src/mesh/protocol/chunk-wire.js';
import type { Chunk } from '../../../src/mesh/protocol/frames.js';
import { meshServiceDefinition } from '../../../src/mesh/protocol/load.js';
import { GRPC_FRAME_PREFIX, installSharedFrames, isSealedFrame } from '../../../src/mesh/protocol/shared-frames.js';

const decode = (message: Buffer): Chunk => meshServiceDefinition().Fetch!.responseDeserialize(message) as Chunk;

/** The sealed frame of `data` under header `h`, laid out as the hub lays out a piece. */
function frameOf(h: Omit<ChunkHeader, 'dataLength'>, data: Uint8Array, sha256: string): Buffer {
  const header = { ...h, dataLength: data.length };
  const { frame, data: tail } = pieceFrameIn(Buffer.alloc(pieceFrameCapacity(data.length)), header);
  tail.set(data);
  writeChunkHeader(frame, header, sha256);
  return frame;
}

describe('chunk frames', () => {
  it('decode to the chunk they encode, for any index, raw size and payload', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 31 }), fc.uint8Array({ maxLength: 3000 }), fc.boolean(), fc.nat({ max: 2 ** 31 }), (index, data, compressed, rawSize) => {
        const sha256 = createHash('sha256').update(data).digest('hex');
        const frame = frameOf({ index, rawSize, compressed }, data, sha256);
        expect(frame[0]).toBe(0);
        expect(frame.readUInt32BE(1)).toBe(frame.length - GRPC_FRAME_PREFIX);
        expect(frame.length).toBe(GRPC_FRAME_PREFIX + chunkHeaderLength({ index, rawSize, compressed, dataLength: data.length }) + data.length);
        const chunk = decode(messageOfFrame(frame));
        expect(chunk.index).toBe(index);
        expect(chunk.rawSize).toBe(rawSize);
        expect(chunk.compressed).toBe(compressed);
        expect(chunk.sha256).toBe(sha256);
        expect(Buffer.compare(chunk.data, Buffer.from(data))).toBe(0);
        expect(isSealedFrame(frame)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a piece laid out in a reused buffer decodes to its index, offset, sizes and bytes', () => {
    const pieceBytes = 4096;
    const buffer = Buffer.alloc(pieceFrameCapacity(pieceBytes), 0xee);
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: pieceBytes }), (index, offset, rawSize, payload) => {
        const header = { index, rawSize, dataLength: payload.length, compressed: false, offset };
        const { frame, data } = pieceFrameIn(buffer, header);
        expect(frame.buffer).toBe(buffer.buffer); // a view: nothing allocated per piece
        data.set(payload);
        writeChunkHeader(frame, header, 'c'.repeat(64));
        const piece = decode(messageOfFrame(frame));
        expect({ index: piece.index, offset: piece.offset, rawSize: piece.rawSize }).toEqual({ index, offset, rawSize });
        expect(Buffer.compare(piece.data, Buffer.from(payload))).toBe(0);
      }),
      { numRuns: 300 },
    );
    expect(() => pieceFrameIn(buffer, { index: 0, rawSize: 1, dataLength: buffer.length, compressed: false })).toThrow(RangeError);
  });

  it("carries the chunk's BLAKE3 exactly when the header says so", () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (index, payload, withBlake3) => {
        const blake3 = withBlake3 ? createHash('sha256').update(payload).update('b3').digest('hex') : undefined;
        const header = { index, rawSize: payload.length, dataLength: payload.length, compressed: false, blake3: withBlake3 };
        const { frame, data } = pieceFrameIn(Buffer.alloc(pieceFrameCapacity(payload.length)), header);
        data.set(payload);
        writeChunkHeader(frame, header, 'a'.repeat(64), blake3);
        const piece = decode(messageOfFrame(frame));
        expect([piece.index, piece.blake3, piece.sha256]).toEqual([index, blake3 ?? '', 'a'.repeat(64)]);
        expect(Buffer.compare(piece.data, Buffer.from(payload))).toBe(0);
      }),
      { numRuns: 200 },
    );
    const header = { index: 0, rawSize: 1, dataLength: 1, compressed: false, blake3: true };
    const { frame } = pieceFrameIn(Buffer.alloc(pieceFrameCapacity(1)), header);
    expect(() => writeChunkHeader(frame, header, 'a'.repeat(64))).toThrow(RangeError);
    expect(() => writeChunkHeader(frame, { ...header, blake3: false }, 'a'.repeat(64), 'b'.repeat(64))).toThrow(RangeError);
  });

  it('the payload view is the tail of the frame: bytes read into it are what is sent', () => {
    const header = { index: 7, rawSize: 5, dataLength: 5, compressed: false };
    const { frame, data } = pieceFrameIn(Buffer.alloc(pieceFrameCapacity(header.dataLength)), header);
    data.set(Buffer.from('hello'));
    writeChunkHeader(frame, header, 'a'.repeat(64));
    expect(decode(messageOfFrame(frame)).data.toString()).toBe('hello');
  });

  it('grpc-js sends a sealed frame as it is, and frames anything else itself', () => {
    expect(installSharedFrames()).toBe(true);
    const require = createRequire(import.meta.url);
    const { BaseServerInterceptingCall } = require('@grpc/grpc-js/build/src/server-interceptors.js') as {
      BaseServerInterceptingCall: { prototype: { serializeMessage(this: unknown, value: unknown): Buffer } };
    };
    const call = { handler: { serialize: meshServiceDefinition().Fetch!.responseSerialize } };
    const frame = frameOf({ index: 1, rawSize: 3, compressed: false }, Buffer.from('abc'), 'b'.repeat(64));
    // The very buffer goes to HTTP/2: no per-stream allocation or copy.
    expect(BaseServerInterceptingCall.prototype.serializeMessage.call(call, frame)).toBe(frame);
    // An unsealed copy of the frame's message is framed by grpc-js, to the same bytes.
    const copy = Buffer.from(messageOfFrame(frame));
    const framedByGrpc = BaseServerInterceptingCall.prototype.serializeMessage.call(call, copy);
    expect(framedByGrpc).not.toBe(frame);
    expect(Buffer.compare(framedByGrpc, frame)).toBe(0);
  });
});
