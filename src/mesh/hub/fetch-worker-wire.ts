// The messages between the hub's main thread and its fetch worker
// (fetch-worker.ts). Plain objects, structured-cloned over the worker's
// port. The worker only moves bytes: every decision travels main -> worker.
import type { ErrorCode } from '../../errors.js';
import type { TlsFiles } from './grpc-server.js';
import type { PumpPlan } from './fetch-pump.js';

/** What the worker is started with. */
export interface FetchWorkerData {
  /** HOST:PORT to listen on; port 0 picks a free one. Already checked by main (TLS or loopback or --insecure). */
  address: string;
  tls?: TlsFiles;
  /** Fault injection (faults.ts, fetch-worker-crash): exit once the first stream is admitted. */
  crashAtFirstStream?: boolean;
}

/** An error status to end a stream with: a MeshError's code and message. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

export type WorkerToMain =
  | { t: 'listening'; port: number }
  | { t: 'fatal'; message: string }
  /** A Fetch arrived: authenticate and admit it (or refuse). Credentials other than strings are dropped (data-wire.ts). */
  | { t: 'open'; id: number; authorization?: string; node?: string; peer: string; request: { transferId?: string; fromChunk?: number; maxPieceBytes?: number } }
  /** May chunk `index` be sent now? */
  | { t: 'gate'; id: number; index: number }
  /** Bytes handed to the socket since the last report, and the time each piece took to be ready (ms). */
  | { t: 'sent'; id: number; bytes: number; served: number[] }
  /** The pump failed (stall, read error): the worker ended the call with it; main logs it. */
  | { t: 'failed'; id: number; error: WireError }
  /** The call is gone (ended, cancelled, failed): main drops it from the open calls. */
  | { t: 'closed'; id: number }
  | { t: 'stopped' };

export type MainToWorker =
  | { t: 'admit'; id: number; plan: PumpPlan }
  | { t: 'chunk'; id: number; index: number; size: number; sha256: string; blake3?: string }
  /** End the stream with this status (refusal, revocation, cancel, ungrant, staging failure). */
  | { t: 'end'; id: number; error: WireError }
  | { t: 'stop' };
