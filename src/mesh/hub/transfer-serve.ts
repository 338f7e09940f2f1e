// The hub side of Fetch: streams the chunks of one transfer to one node from
// the chunk it asks for, each as soon as it is staged (a push is fetched
// while it is still being staged). A chunk is written only once an earlier
// one has left, so HTTP/2 flow control is the backpressure: a slow node holds
// at most two chunks of hub memory and never slows another node's stream.
// Encoded chunks are shared by all streams (chunk-cache.ts).
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

export interface FetchDeps {
  log: Logger;
  /** The transfer, if `node` is one of its pending targets. */
  transferFor(transferId: string, node: string): TransferRecord | undefined;
  /** Resolves once chunk `index` is staged; rejects when staging failed or after `timeoutMs`. */
  whenStaged(transferId: string, index: number, timeoutMs: number): Promise<void>;
  /** The encoded reply for a staged chunk, shared between the nodes' streams. */
  chunkMessage(record: TransferRecord, index: number): Promise<Buffer>;
  /** Bytes put on the wire for a node, for status and benchmarks. */
  countSent(transferId: string, node: string, bytes: number): void;
  /** Time to have one chunk ready (read from staging or the cache, encoded), ms; for metrics. */
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
 * Chunks handed to grpc-js per stream before waiting for the oldest to be
 * written. Its `write()` only returns false after 16 queued messages (the
 * object-mode high-water mark), 64 MiB of a slow node's data in hub memory;
 * two keeps the next chunk ready while one drains.
 */
const MAX_CHUNKS_IN_FLIGHT = 2;

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
  // A write's callback fires once HTTP/2 flow control let it out, and never
  // on a cancelled call; `gone` ends the wait in that case.
  const gone = Promise.race(['cancelled', 'close', 'finish', 'error'].map((event) => once(call, event).then(noop, noop)));
  const inFlight: Array<Promise<void>> = [];
  let ended = false;
  void gone.then(() => (ended = true));
  for (let index = from; index < total; index++) {
    if (ended || call.cancelled) return;
    // Pipelined: a chunk not staged yet is waited for, as long as a stalled reader would be.
    await Promise.race([deps.whenStaged(transferId, index, FETCH_STALL_MS), gone]);
    if (ended || call.cancelled) return;
    const current = addressed();
    const asked = performance.now();
    let message = await deps.chunkMessage(current, index);
    deps.chunkServed?.(performance.now() - asked);
    if (corruptIndex !== undefined && Number(corruptIndex) === index && !corrupted.has(`${transferId}:${node}`)) {
      corrupted.add(`${transferId}:${node}`);
      message = Buffer.from(message); // a private copy: the shared frame stays intact for other nodes
      const at = message.length - (current.chunks[index]!.size >> 1) - 1;
      message[at] = message[at]! ^ 0xff;
      sealFrame(message);
    }
    // `message` is the sealed gRPC frame of the Chunk, shared with other
    // nodes' streams and sent as is (shared-frames.ts, load.ts).
    const written = new Promise<void>((resolve) => call.write(message as unknown as Chunk, () => resolve()));
    deps.countSent(transferId, node, current.chunks[index]!.size);
    inFlight.push(written);
    // Writes complete in order, so waiting for the oldest frees one slot.
    if (inFlight.length >= MAX_CHUNKS_IN_FLIGHT) await drained(inFlight.shift()!, gone, node);
  }
  call.end();
}
