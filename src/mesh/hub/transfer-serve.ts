// The hub side of Fetch: streams the chunks of one transfer to one node from
// the chunk it asks for, each as soon as it is staged (a push is fetched
// while it is still being staged), in pieces of the size the node asked for
// (pieces.ts). A piece is written only once the oldest of a few before it has
// left, so HTTP/2 flow control is the backpressure: a slow node holds at most
// a few MiB of hub memory, in buffers its stream reuses (piece-reader.ts),
// and never slows another node's stream.
import type * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { faultValue } from '../faults.js';
import type { Chunk, FetchRequest } from '../protocol/frames.js';
import type { TransferRecord } from '../store/records.js';
import { isTransferId } from '../protocol/frame-checks.js';
import { grantsSession } from './grants.js';
import type { OpenCall } from './open-calls.js';
import { sealFrame } from '../protocol/shared-frames.js';
import { chunkCount } from './transfer-stage.js';
import { pieceBytesFor, piecesOf } from '../protocol/pieces.js';
import { PieceReader } from './piece-reader.js';

export interface FetchDeps {
  log: Logger;
  /** The transfer, if `node` is one of its pending targets. */
  transferFor(transferId: string, node: string): TransferRecord | undefined;
  /** Resolves once chunk `index` is staged; rejects when staging failed or after `timeoutMs`. */
  whenStaged(transferId: string, index: number, timeoutMs: number): Promise<void>;
  /** The staged data file of a transfer, which the stream reads its pieces from. */
  dataFile(transferId: string): string;
  /** Bytes put on the wire for a node, for status and benchmarks. */
  countSent(transferId: string, node: string, bytes: number): void;
  /** Time to have one piece ready (read from the staged data, encoded), ms; for metrics. */
  chunkServed?(ms: number): void;
  /** Open Fetch streams of `node`, this one included. */
  openFetches(node: string): number;
  /** Whether a warning caused by this node may be logged now (per-node log budget). */
  mayLog(node: string): boolean;
}


/** Fetch streams one node may hold open at once. */
export const MAX_FETCHES_PER_NODE = 4;
/** A stream whose oldest chunk has not left for this long is cut, ms: a stalled reader must not pin hub memory. */
export const FETCH_STALL_MS = 60_000;

/**
 * Bytes handed to grpc-js per stream before waiting for the oldest piece to
 * be written (at least two pieces). Its `write()` only returns false after 16
 * queued messages (the object-mode high-water mark), 64 MiB of a slow node's
 * data in hub memory with whole chunks; 3 MiB keeps the next piece ready
 * while others drain.
 */
const IN_FLIGHT_BYTES = 3 * 1024 * 1024;

/** Wait for a write to leave, the call to go, or the stall limit. */
async function drained(written: Promise<void>, gone: Promise<unknown>, node: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MeshError('NODE_TIMEOUT', `node "${node}" read nothing for ${FETCH_STALL_MS / 1000} s; Fetch stream closed`)), FETCH_STALL_MS);
  });
  try {
    await Promise.race([written, gone, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

const noop = () => {};

const corruptIndex = faultValue('corrupt-chunk');
const corrupted = new Set<string>();

export function handleFetch(call: grpc.ServerWritableStream<FetchRequest, Chunk>, open: OpenCall, deps: FetchDeps): void {
  const node = open.principal.node;
  serve(call, open, deps).catch((err) => {
    const mesh = toMeshError(err);
    if (!call.cancelled) {
      if (deps.mayLog(node)) deps.log.warn({ node, transfer: String(call.request.transferId).slice(0, 40), code: mesh.code, err: mesh.message.slice(0, 300) }, 'fetch failed');
      open.end(mesh);
    }
  });
}

async function serve(call: grpc.ServerWritableStream<FetchRequest, Chunk>, open: OpenCall, deps: FetchDeps): Promise<void> {
  const { transferId } = call.request;
  const node = open.principal.node;
  const from = Number(call.request.fromChunk) || 0;
  // Security: a transfer id is a short hex string; anything else is never looked up, logged or echoed.
  if (!isTransferId(transferId)) throw new MeshError('INVALID_ARGUMENT', 'transfer_id is not a transfer id');
  // Security: bounded per node: every open stream may pin a couple of chunks of hub memory.
  if (deps.openFetches(node) > MAX_FETCHES_PER_NODE) {
    throw new MeshError('LIMIT_EXCEEDED', `node "${node}" has more than ${MAX_FETCHES_PER_NODE} Fetch streams open`, { limit: MAX_FETCHES_PER_NODE });
  }
  // Security: a node only ever receives transfers addressed to it, for
  // sessions its credential grants right now.
  // Checked again before every chunk: an ungrant (or a cancel) ends a stream already running.
  const addressed = () => {
    const t = deps.transferFor(transferId, node);
    if (!t || !grantsSession(open.principal.grants, t.session)) throw new MeshError('TRANSFER_NOT_FOUND', `no pending transfer ${transferId} for node ${node}`);
    return t;
  };
  const transfer = addressed();
  const total = chunkCount(transfer);
  if (from < 0 || from > total) throw new MeshError('INVALID_ARGUMENT', `from_chunk ${from} out of range`);
  // A write's callback fires once HTTP/2 has written the frame out, and never
  // on a cancelled call; `gone` ends the wait in that case.
  const gone = Promise.race(['cancelled', 'close', 'finish', 'error'].map((event) => once(call, event).then(noop, noop)));
  let ended = false;
  void gone.then(() => (ended = true));
  const reader = new PieceReader(deps.dataFile(transferId), pieceBytesFor(call.request.maxPieceBytes, transfer.chunkSize));
  const maxInFlight = Math.max(2, Math.floor(IN_FLIGHT_BYTES / reader.pieceBytes));
  const inFlight: Array<Promise<void>> = [];
  try {
    for (let index = from; index < total; index++) {
      if (ended || call.cancelled) return;
      // Pipelined: a chunk not staged yet is waited for, as long as a stalled reader would be.
      await Promise.race([deps.whenStaged(transferId, index, FETCH_STALL_MS), gone]);
      if (ended || call.cancelled) return;
      const current = addressed();
      for (const piece of piecesOf(current.chunks[index]!.size, reader.pieceBytes)) {
        if (ended || call.cancelled) return;
        const asked = performance.now();
        const frame = await reader.frame(current, index, piece);
        deps.chunkServed?.(performance.now() - asked);
        const message = maybeCorrupt(frame, transferId, node, index, piece.offset, piece.length, reader);
        // `message` is a sealed gRPC frame, sent as is (shared-frames.ts, load.ts); its buffer is reused once written.
        const written = new Promise<void>((resolve) =>
          call.write(message as unknown as Chunk, () => {
            reader.release(message);
            resolve();
          }),
        );
        deps.countSent(transferId, node, piece.length);
        inFlight.push(written);
        // Writes complete in order, so waiting for the oldest frees one slot.
        if (inFlight.length >= maxInFlight) await drained(inFlight.shift()!, gone, node);
      }
    }
    call.end();
  } finally {
    // Buffers of writes still queued stay referenced by their frames; the file handle is no longer needed.
    void Promise.race([Promise.all(inFlight), gone]).finally(() => reader.close());
  }
}

/**
 * Under the corrupt-chunk fault, the first piece of the named chunk sent to
 * each node once has one byte flipped, in a private copy (the stream's buffer
 * stays intact).
 */
function maybeCorrupt(frame: Buffer, transferId: string, node: string, index: number, offset: number, length: number, reader: PieceReader): Buffer {
  if (corruptIndex === undefined || Number(corruptIndex) !== index || offset !== 0 || corrupted.has(`${transferId}:${node}`)) return frame;
  corrupted.add(`${transferId}:${node}`);
  const copy = Buffer.from(frame);
  reader.release(frame);
  const at = copy.length - (length >> 1) - 1;
  copy[at] = copy[at]! ^ 0xff;
  return sealFrame(copy);
}
