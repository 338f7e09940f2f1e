// The hub side of Fetch: every rule of who may pull which chunks, on the
// main thread, for both ports. A stream is admitted once (transfer id,
// per-node limit, addressed to the node for a granted session, range), and
// each chunk is allowed only once it is staged (a push is fetched while it is
// still being staged) and the transfer is still addressed to the node, so a
// cancel or an ungrant ends a stream already running. The bytes themselves
// are moved by fetch-pump.ts, here on the main port, or in the fetch worker
// (fetch-worker.ts) which asks `admitFetch`'s gate before every chunk.
import type * as grpc from '@grpc/grpc-js';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Chunk, FetchRequest } from '../protocol/frames.js';
import type { TransferRecord } from '../store/records.js';
import { isTransferId } from '../protocol/frame-checks.js';
import { pieceBytesFor } from '../protocol/pieces.js';
import { grantsSession } from './grants.js';
import type { OpenCall } from './open-calls.js';
import { chunkCount } from './transfer-stage.js';
import { FETCH_STALL_MS, pumpFetch, pumpServer, type PumpPlan } from './fetch-pump.js';
import type { FetchPort } from './fetch-paths.js';
import type { StagedChunk } from './piece-reader.js';

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
  /** Open Fetch streams of `node` on either port, this one included. */
  openFetches(node: string): number;
  /** Whether a warning caused by this node may be logged now (per-node log budget). */
  mayLog(node: string): boolean;
  /** A Fetch of `node` was admitted on `port` (fetch-paths.ts). */
  fetchedVia?(node: string, port: FetchPort): void;
}

/** Fetch streams one node may hold open at once, both ports together. */
export const MAX_FETCHES_PER_NODE = 4;

/** An admitted stream: what to send, and the check before each chunk. */
export interface FetchAdmission extends PumpPlan {
  /** Resolves once chunk `index` is staged and still addressed to the node; rejects to end the stream. */
  gate(index: number, gone?: Promise<unknown>): Promise<StagedChunk>;
}

/** Admit one Fetch of `open`'s node, arrived on `port`, or throw the MeshError to end it with. */
export function admitFetch(request: FetchRequest, open: OpenCall, deps: FetchDeps, port: FetchPort): FetchAdmission {
  const { transferId } = request;
  const node = open.principal.node;
  // Security: from the data wire, any number (a fraction, a huge one); absent means the first chunk.
  const from = request.fromChunk ?? 0;
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
  if (!Number.isSafeInteger(from) || from < 0 || from > total) throw new MeshError('INVALID_ARGUMENT', `from_chunk ${from} out of range`);
  deps.fetchedVia?.(node, port);
  return {
    transferId,
    node,
    dataFile: deps.dataFile(transferId),
    chunkSize: transfer.chunkSize,
    pieceBytes: pieceBytesFor(request.maxPieceBytes, transfer.chunkSize),
    from,
    total,
    async gate(index) {
      // Pipelined: a chunk not staged yet is waited for, as long as a stalled reader would be.
      await deps.whenStaged(transferId, index, FETCH_STALL_MS);
      const chunk = addressed().chunks[index];
      if (!chunk) throw new MeshError('INTERNAL', `chunk ${index} of transfer ${transferId} is not staged`);
      return { size: chunk.size, sha256: chunk.sha256, blake3: chunk.blake3 };
    },
  };
}

/** Log a stream that ended with an error (within the node's log budget). */
export function logFetchFailure(deps: Pick<FetchDeps, 'log' | 'mayLog'>, node: string, transferId: unknown, err: MeshError): void {
  // Security: the id comes from the node; only a string is echoed (String() of a hostile object may throw).
  const transfer = typeof transferId === 'string' ? transferId.slice(0, 40) : typeof transferId;
  if (deps.mayLog(node)) deps.log.warn({ node, transfer, code: err.code, err: err.message.slice(0, 300) }, 'fetch failed');
}

/** Fetch on the main gRPC port: the checks and the pump on this thread. */
export function fetchHandler(deps: FetchDeps): (call: grpc.ServerWritableStream<FetchRequest, Chunk>, open: OpenCall) => void {
  const server = pumpServer();
  return (call, open) => {
    const node = open.principal.node;
    const serve = async () => {
      const admitted = admitFetch(call.request, open, deps, 'main port');
      await pumpFetch(
        call,
        admitted,
        {
          gate: (index) => admitted.gate(index),
          sent: (bytes) => deps.countSent(admitted.transferId, node, bytes),
          served: deps.chunkServed,
        },
        server,
      );
    };
    serve().catch((err) => {
      const mesh = toMeshError(err);
      if (call.cancelled) return;
      logFetchFailure(deps, node, call.request.transferId, mesh);
      open.end(mesh);
    });
  };
}
