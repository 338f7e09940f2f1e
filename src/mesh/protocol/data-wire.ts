// The fetch port's wire: a Fetch over a plain TCP (or TLS) connection,
// without HTTP/2. Node's HTTP/2 costs about four times the CPU of the socket
// itself per byte on both ends (measured: 8 receivers of 1 GiB on loopback,
// 188-238 MiB/s in total over node:http2 whatever the frame size, 736 MiB/s
// over TCP with the same hashing and writes), so bulk bytes leave HTTP/2 and
// the main port keeps gRPC for everything else (and for Fetch, as the
// fallback of a node that cannot reach this port).
//
// One connection carries one Fetch:
//   node -> hub   MAGIC, then a u32 (big-endian) length and that many bytes of
//                 a JSON request: {authorization, node, transferId, fromChunk, maxPieceBytes}
//   hub  -> node  frames of a u8 kind, a u32 (big-endian) length and a body:
//                 CHUNK  the body is a protobuf `Chunk`, exactly a gRPC Fetch
//                        reply (chunk-wire.ts builds it: the same bytes a
//                        gRPC frame carries after its 5-byte prefix of the
//                        same shape, so one staged piece serves both ports)
//                 END    the body is JSON: {} when every chunk was sent, else
//                        {code, message}, the error the Fetch ended with
// Every length read from the network is bounded before anything is allocated.
import { MeshError } from '../../errors.js';

/** First bytes of a data connection: a stray client (or an HTTP/2 preface) is told apart at once. */
export const DATA_MAGIC = Buffer.from('MESHDATA/1\n', 'ascii');
/** Bytes of a frame's head: kind and body length. */
export const FRAME_HEAD_BYTES = 5;
export const KIND_CHUNK = 0;
export const KIND_END = 1;
/** Largest request a hub reads: a bearer token, a node id and a transfer id fit many times over. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** Largest END body a node reads. */
export const MAX_END_BYTES = 64 * 1024;

export interface DataRequest {
  authorization?: string;
  node?: string;
  transferId?: string;
  fromChunk?: number;
  maxPieceBytes?: number;
}

/** The bytes a node sends to open a Fetch. */
export function encodeRequest(request: DataRequest): Buffer {
  const json = Buffer.from(JSON.stringify(request), 'utf8');
  if (json.length > MAX_REQUEST_BYTES) throw new MeshError('INVALID_ARGUMENT', `a fetch request of ${json.length} bytes exceeds ${MAX_REQUEST_BYTES}`);
  const head = Buffer.alloc(DATA_MAGIC.length + 4);
  DATA_MAGIC.copy(head);
  head.writeUInt32BE(json.length, DATA_MAGIC.length);
  return Buffer.concat([head, json]);
}

/**
 * Read a request from the bytes received so far: undefined while more are
 * needed, else the request; throws INVALID_ARGUMENT for anything that is not
 * one (wrong magic, a length beyond the limit, not a JSON object, bytes
 * after it).
 */
export function parseRequest(received: Buffer): DataRequest | undefined {
  const refuse = (why: string) => new MeshError('INVALID_ARGUMENT', `not a fetch request: ${why}`);
  const magicSeen = Math.min(received.length, DATA_MAGIC.length);
  if (!received.subarray(0, magicSeen).equals(DATA_MAGIC.subarray(0, magicSeen))) throw refuse('wrong protocol');
  if (received.length < DATA_MAGIC.length + 4) return undefined;
  const length = received.readUInt32BE(DATA_MAGIC.length);
  if (length > MAX_REQUEST_BYTES) throw refuse(`${length} bytes exceed ${MAX_REQUEST_BYTES}`);
  const end = DATA_MAGIC.length + 4 + length;
  if (received.length < end) return undefined;
  if (received.length > end) throw refuse('bytes after the request');
  let value: unknown;
  try {
    value = JSON.parse(received.subarray(DATA_MAGIC.length + 4, end).toString('utf8'));
  } catch {
    throw refuse('the request is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw refuse('the request is not an object');
  const r = value as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
  // Only these fields go on, each only of its type (an object with a hostile toString never reaches a rule
  // or a log line): the rules (transfer-serve.ts) check the values.
  return { authorization: text(r.authorization), node: text(r.node), transferId: text(r.transferId), fromChunk: number(r.fromChunk), maxPieceBytes: number(r.maxPieceBytes) };
}

/** The END frame: success without an error, else the error's code and message. */
export function encodeEnd(error?: MeshError): Buffer {
  const body = Buffer.from(JSON.stringify(error ? { code: error.code, message: error.message.slice(0, 4096) } : {}), 'utf8');
  const frame = Buffer.alloc(FRAME_HEAD_BYTES + body.length);
  frame[0] = KIND_END;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, FRAME_HEAD_BYTES);
  return frame;
}

/** What an END body says: undefined for success, else the error (an unknown code becomes INTERNAL). */
export function parseEnd(body: Buffer): MeshError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return new MeshError('INTERNAL', 'the hub ended the fetch with an unreadable status');
  }
  const r = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  if (r.code === undefined) return undefined;
  return MeshError.fromWire({ code: String(r.code), message: typeof r.message === 'string' ? r.message.slice(0, 4096) : 'the fetch failed' });
}

export interface FrameHead {
  kind: number;
  length: number;
}

/** A hub that breaks the wire: the delivery fetches again, as after any interrupted stream. */
const broken = (why: string) => new MeshError('INTERNAL', `the fetch port broke the protocol: ${why}`);

/** A frame head from the network, checked against the limits a node holds it to. */
export function parseFrameHead(head: Buffer, maxChunkFrame: number): FrameHead {
  const kind = head[0]!;
  const length = head.readUInt32BE(1);
  if (kind === KIND_CHUNK) {
    if (length === 0 || length > maxChunkFrame) throw broken(`a chunk frame of ${length} bytes is outside 1..${maxChunkFrame}`);
  } else if (kind === KIND_END) {
    if (length > MAX_END_BYTES) throw broken(`an end frame of ${length} bytes exceeds ${MAX_END_BYTES}`);
  } else {
    throw broken(`unknown frame kind ${kind}`);
  }
  return { kind, length };
}
