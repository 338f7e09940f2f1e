// The byte pump of a Fetch stream, shared by the main gRPC port and the
// fetch worker (fetch-worker.ts): reads the pieces of each chunk it is
// allowed to send from the staged data file (piece-reader.ts) and writes
// them as sealed gRPC frames. It decides nothing about who may receive what:
// `gate` (transfer-serve.ts on the main thread, a round trip to it from the
// worker) says, chunk by chunk, whether and what to send.
//
// A piece is written only once the oldest of a few before it has left, so
// flow control (TCP on the fetch port, HTTP/2 on the main port) is the
// backpressure: a slow node holds at most a few
// MiB of hub memory (pieces it shares with the streams at the same place,
// shared-pieces.ts), and never slows another
// node's stream.
import { once, type EventEmitter } from 'node:events';
import { MeshError } from '../../errors.js';
import { faultValue } from '../faults.js';
import type { Chunk } from '../protocol/frames.js';
import { piecesOf } from '../protocol/pieces.js';
import { sealFrame } from '../protocol/shared-frames.js';
import { PieceReader, type StagedChunk } from './piece-reader.js';
import { SharedPieces } from './shared-pieces.js';

/** A stream whose oldest chunk has not left for this long is cut, ms: a stalled reader must not pin hub memory. */
export const FETCH_STALL_MS = 60_000;

/**
 * Bytes handed to the sink per stream before waiting for the oldest piece to
 * be written (at least one piece: a node that asks whole chunks holds 4 MiB).
 * grpc-js's `write()` only returns false after 16 queued messages (the
 * object-mode high-water mark), 64 MiB of a slow node's data in hub memory
 * with whole chunks; 3 MiB keeps the next piece ready while others drain.
 */
const IN_FLIGHT_BYTES = 3 * 1024 * 1024;

/** What one admitted stream sends: decided by the checks (transfer-serve.ts), never by the pump. */
export interface PumpPlan {
  transferId: string;
  node: string;
  /** The staged data file the pieces are read from. */
  dataFile: string;
  /** Bytes of every chunk but the last. */
  chunkSize: number;
  /** Bytes of a piece (pieces.ts: what the node asked for, bounded). */
  pieceBytes: number;
  /** First chunk to send, and the number of chunks of the transfer. */
  from: number;
  total: number;
}

/**
 * Where a pump writes its frames: a gRPC Fetch call on the main port, or a
 * data connection on the fetch port (data-server.ts). A sealed frame's
 * 5-byte prefix (0, big-endian length) is also a data-wire CHUNK head, so
 * both send the very same bytes. `write`'s callback fires once the frame has
 * left (its buffer may then be reused); the sink emits one of `cancelled`,
 * `close`, `finish` or `error` when the receiver is gone.
 */
export interface FetchSink extends EventEmitter {
  readonly cancelled: boolean;
  write(frame: Chunk, done: () => void): unknown;
  /** Every chunk was sent. */
  end(): void;
}

export interface PumpHooks {
  /**
   * Chunk `index` may be sent now: resolves with its size and hash, rejects
   * to end the stream with that error. Asked for chunk k+1 as soon as chunk
   * k's last piece is handed to grpc-js (while its pieces drain), so an
   * answer that takes a round trip never idles the stream.
   */
  gate(index: number): Promise<StagedChunk>;
  /** Bytes of a piece handed to grpc-js for the node. */
  sent(bytes: number): void;
  /** Time to have one piece ready (read from the staged data, encoded), ms. */
  served?(ms: number): void;
}

const noop = () => {};

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

/** What every stream of one server (the main port, the fetch worker) shares: the corrupt-chunk fault and the pieces read. */
export interface PumpServer {
  corrupt: CorruptFault;
  pieces: SharedPieces;
}

/** One per server, never module state shared by every hub of a process. */
export const pumpServer = (): PumpServer => ({ corrupt: new CorruptFault(), pieces: new SharedPieces() });

/**
 * Send chunks `plan.from` to the end, each once `gate` allows it, then end
 * the call. Resolves early (without ending the call) when the call goes;
 * rejects with the gate's error or a stall, for the caller to end the call.
 */
export async function pumpFetch(call: FetchSink, plan: PumpPlan, hooks: PumpHooks, server: PumpServer): Promise<void> {
  const { transferId, node, total } = plan;
  // A write's callback fires once the frame has left (FetchSink), and never
  // on a cancelled call; `gone` ends the wait in that case.
  const gone = Promise.race(['cancelled', 'close', 'finish', 'error'].map((event) => once(call, event).then(noop, noop)));
  let ended = false;
  void gone.then(() => (ended = true));
  const over = () => ended || call.cancelled;
  const reader = new PieceReader(server.pieces, plan.dataFile, plan.pieceBytes, plan.chunkSize, transferId);
  const maxInFlight = Math.max(1, Math.floor(IN_FLIGHT_BYTES / reader.pieceBytes));
  const inFlight: Array<Promise<void>> = [];
  const ask = (index: number): Promise<StagedChunk> | undefined => {
    if (index >= total) return undefined;
    const answer = hooks.gate(index);
    answer.catch(noop); // awaited below, unless the call goes first
    return answer;
  };
  let next = ask(plan.from);
  try {
    for (let index = plan.from; index < total; index++) {
      if (over()) return;
      const info = await Promise.race([next!, gone]);
      if (over() || !info) return;
      const pieces = piecesOf(info.size, reader.pieceBytes);
      if (pieces.length === 0) next = ask(index + 1);
      for (let p = 0; p < pieces.length; p++) {
        if (over()) return;
        const piece = pieces[p]!;
        const asked = performance.now();
        const frame = await reader.frame(index, info, piece);
        hooks.served?.(performance.now() - asked);
        const message = server.corrupt.apply(frame, transferId, node, index, piece.offset, piece.length, reader);
        // `message` is a sealed gRPC frame, sent as is (shared-frames.ts, load.ts); its buffer is reused once every stream sending it has written it.
        const written = new Promise<void>((resolve) =>
          call.write(message as unknown as Chunk, () => {
            reader.release(message);
            resolve();
          }),
        );
        hooks.sent(piece.length);
        inFlight.push(written);
        // The whole chunk is handed over: ask for the next one while it drains.
        if (p === pieces.length - 1) next = ask(index + 1);
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
 * The corrupt-chunk fault (faults.ts): the first piece of the named chunk
 * sent to each node once has one byte flipped, in a private copy (the
 * stream's buffer stays intact). One per server (main port, worker), never
 * module state shared by every hub of a process.
 */
export class CorruptFault {
  private readonly index = faultValue('corrupt-chunk');
  private readonly done = new Set<string>();

  apply(frame: Buffer, transferId: string, node: string, index: number, offset: number, length: number, reader: PieceReader): Buffer {
    if (this.index === undefined || Number(this.index) !== index || offset !== 0 || this.done.has(`${transferId}:${node}`)) return frame;
    this.done.add(`${transferId}:${node}`);
    const copy = Buffer.from(frame);
    reader.release(frame);
    const at = copy.length - (length >> 1) - 1;
    copy[at] = copy[at]! ^ 0xff;
    return sealFrame(copy);
  }
}
