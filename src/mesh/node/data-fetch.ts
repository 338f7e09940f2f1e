// A node's Fetch over the hub's fetch port (the data wire, data-wire.ts).
// The socket reads straight into the buffer of the frame being received
// (net's `onread`), a head and then a body, so no byte is copied on its way
// to the deliverer, and each piece is decoded as the same `Chunk` a gRPC
// Fetch yields. A few body buffers are reused: while the deliverer holds
// them all, the socket stops reading and TCP holds the hub back.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { MeshError } from '../../errors.js';
import { encodeRequest, FRAME_HEAD_BYTES, KIND_CHUNK, parseEnd, parseFrameHead, type DataRequest } from '../protocol/data-wire.js';
import type { Chunk } from '../protocol/frames.js';
import { meshClientConstructor } from '../protocol/load.js';

/** How long connecting (and the TLS handshake) may take before the port counts as unreachable, ms. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Body buffers a fetch reuses (each a piece and its header): the socket fills some while the deliverer holds one. */
const BODY_BUFFERS = 3;
/** Frames decoded and not yet taken, at most: only a TLS burst after a pause goes past BODY_BUFFERS, never this far. */
const MAX_QUEUED = 64;
/** Room for a chunk frame's header beside its data (index, hashes, sizes: under 200 bytes). */
const FRAME_HEADER_ROOM = 1024;
/**
 * A connection on which nothing moves for this long is given up, ms (the
 * delivery fetches again): the hub ends a stream whose next chunk takes a
 * minute to stage, so only a hub or link that went silent gets here.
 */
export const IDLE_TIMEOUT_MS = 120_000;

export interface DataTarget {
  host: string;
  port: number;
  /** TLS as on the main connection (hub-client.ts): CA to trust, optional client certificate; files are read once. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** A data-port connection that could not be made: the caller may use the main connection instead. */
export class DataPortUnreachable extends MeshError {
  constructor(why: string) {
    super('HUB_UNREACHABLE', `fetch port unreachable: ${why}`);
  }
}

type TlsFiles = { ca?: Buffer; cert?: Buffer; key?: Buffer };
const tlsCache = new Map<string, TlsFiles>();

function tlsFiles(files: NonNullable<DataTarget['tls']>): TlsFiles {
  const key = JSON.stringify(files);
  let read = tlsCache.get(key);
  if (!read) {
    const load = (f?: string) => (f ? readFileSync(f) : undefined);
    read = { ca: load(files.ca), cert: load(files.cert), key: load(files.key) };
    tlsCache.set(key, read);
  }
  return read;
}

let decoder: ((body: Buffer) => Chunk) | undefined;
/** The gRPC Fetch reply decoder: a piece decodes here exactly as on the main port (its data a view of `body`). */
function decodeChunk(body: Buffer): Chunk {
  decoder ??= meshClientConstructor().service.Fetch!.responseDeserialize as (body: Buffer) => Chunk;
  return decoder(body);
}

type Event = { chunk: Chunk; buffer: Buffer } | { end: MeshError | undefined } | { error: Error };

/**
 * The pieces of `request`, as a Fetch on the main port would yield them.
 * `maxPieceBytes` also sizes the receive buffers. Throws DataPortUnreachable
 * when no connection could be made, the hub's error when it ended the Fetch
 * with one, and a plain error when the connection broke.
 */
export async function* fetchOverData(target: DataTarget, request: DataRequest & { maxPieceBytes: number }, signal: AbortSignal): AsyncGenerator<Chunk> {
  if (signal.aborted) throw new MeshError('CANCELLED', 'the fetch was cancelled');
  const maxFrame = request.maxPieceBytes + FRAME_HEADER_ROOM;
  const free: Buffer[] = Array.from({ length: BODY_BUFFERS }, () => Buffer.allocUnsafeSlow(maxFrame));
  const events: Event[] = [];
  let wake: (() => void) | undefined;
  const push = (e: Event) => {
    events.push(e);
    wake?.();
  };

  // What the socket reads into next: the rest of a frame head, or the rest of a body.
  const head = Buffer.alloc(FRAME_HEAD_BYTES);
  let body: Buffer | undefined;
  /** The whole buffer under `body` (a chunk frame's). */
  let bodyBuffer: Buffer | undefined;
  let kind = 0;
  let filled = 0;
  let paused = false;
  let finished = false;
  /** Whether any frame came: a connection closed before one is a port that cannot be used (fetch-route.ts falls back). */
  let answered = false;
  // A TLS socket may deliver what it already decrypted after reading was paused: those bytes land in a
  // fresh buffer (below), and after the end in a scratch one. Never a buffer of length 0: TLS would spin on it.
  const scratch = Buffer.allocUnsafe(64 * 1024);
  const readInto = () => (finished ? scratch : body ? body.subarray(filled) : head.subarray(filled));
  const onRead = (n: number): boolean => {
    if (finished) return false;
    filled += n;
    try {
      if (!body) {
        if (filled < FRAME_HEAD_BYTES) return true;
        const frame = parseFrameHead(head, maxFrame);
        answered = true;
        kind = frame.kind;
        // Past the pool (a TLS burst after a pause), a buffer of the frame's own size, not kept afterwards.
        bodyBuffer = kind === KIND_CHUNK ? (free.pop() ?? Buffer.allocUnsafeSlow(frame.length)) : Buffer.alloc(frame.length);
        body = bodyBuffer.subarray(0, frame.length);
        filled = 0;
        if (frame.length > 0) return true;
      } else if (filled < body.length) {
        return true;
      }
      const complete = body;
      body = undefined;
      filled = 0;
      if (kind === KIND_CHUNK) {
        if (events.length >= MAX_QUEUED) throw new MeshError('INTERNAL', `the fetch port sent more than ${MAX_QUEUED} frames past a pause`);
        push({ chunk: decodeChunk(complete), buffer: bodyBuffer! });
        // Every buffer is with the deliverer or queued: read on once it gives one back.
        if (free.length === 0) return !(paused = true);
      } else {
        finished = true;
        push({ end: parseEnd(complete) });
        return false;
      }
      return true;
    } catch (err) {
      finished = true;
      push({ error: err as Error });
      return false;
    }
  };

  const options = { host: target.host, port: target.port, onread: { buffer: readInto, callback: onRead } };
  const socket: net.Socket = target.tls
    ? tls.connect({ ...options, ...tlsFiles(target.tls), servername: net.isIP(target.host) ? undefined : target.host })
    : net.connect(options);
  const connectTimer = setTimeout(() => socket.destroy(new DataPortUnreachable(`not connected within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  socket.once(target.tls ? 'secureConnect' : 'connect', () => {
    clearTimeout(connectTimer);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`nothing from the fetch port for ${IDLE_TIMEOUT_MS / 1000} s`)));
    socket.write(encodeRequest(request));
  });
  socket.on('error', (err) => push({ error: answered || err instanceof DataPortUnreachable ? err : new DataPortUnreachable(err.message) }));
  socket.on('close', () =>
    push({ error: answered ? new Error('the fetch port closed the connection before the end of the fetch') : new DataPortUnreachable('the connection was closed before any answer') }),
  );
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    for (;;) {
      const event = events.shift();
      if (!event) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if ('error' in event) throw event.error;
      if ('end' in event) {
        if (event.end) throw event.end;
        return;
      }
      yield event.chunk;
      // The deliverer is done with this piece (its data is a view of the body): the buffer reads the next one.
      if (free.length < BODY_BUFFERS && event.buffer.length === maxFrame) free.push(event.buffer);
      if (paused) {
        paused = false;
        socket.resume();
      }
    }
  } finally {
    clearTimeout(connectTimer);
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}
