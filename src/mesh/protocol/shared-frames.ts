// One gRPC frame per chunk for every node's Fetch stream. grpc-js frames each
// message it sends (a 5-byte prefix: compressed flag, big-endian length) by
// allocating length + 5 bytes and copying the message into it, per stream:
// a 4 MiB chunk sent to 8 nodes became 8 fresh 4 MiB buffers, and the
// garbage collector ran every few hundred milliseconds on the hub's loop.
// A chunk's reply is therefore built already framed (chunk-wire.ts) and
// registered here; the hub's gRPC server hands such a frame to HTTP/2 as it
// is. grpc-js has no public hook for this, so the server's framing method is
// wrapped; if a grpc-js version lacks it, the wrapper is not installed and
// grpc-js frames the message itself (a copy, but the same bytes on the wire).
// Imported by name (not through createRequire) so that the MCP Bundle's build
// sees it and bundles the same module grpc-js's server uses.
import * as serverInterceptors from '@grpc/grpc-js/build/src/server-interceptors.js';

/** Bytes of the gRPC length prefix in front of each message. */
export const GRPC_FRAME_PREFIX = 5;

const framed = new WeakSet<Buffer>();

/** Write the gRPC prefix of `frame` (its message follows) and mark it as sendable as is. */
export function sealFrame(frame: Buffer): Buffer {
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(frame.length - GRPC_FRAME_PREFIX, 1);
  framed.add(frame);
  return frame;
}

export function isSealedFrame(value: unknown): value is Buffer {
  return Buffer.isBuffer(value) && framed.has(value);
}

interface FramingCall {
  serializeMessage(value: unknown): Buffer;
}

let installed: boolean | undefined;

/** Let the hub's gRPC server send sealed frames without copying them; true when installed. */
export function installSharedFrames(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  try {
    const mod = serverInterceptors as unknown as { BaseServerInterceptingCall?: { prototype: FramingCall } };
    const proto = mod.BaseServerInterceptingCall?.prototype;
    if (!proto || typeof proto.serializeMessage !== 'function') return false;
    const original = proto.serializeMessage;
    proto.serializeMessage = function (this: FramingCall, value: unknown): Buffer {
      return isSealedFrame(value) ? value : original.call(this, value);
    };
    installed = true;
  } catch {
    installed = false;
  }
  return installed;
}
