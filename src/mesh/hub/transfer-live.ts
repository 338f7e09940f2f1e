// The state of one transfer while it runs (its record, each target's
// delivery, the callers waiting for outcomes) and the rules that read it.
// Guarded by the transfer manager: only it mutates a LiveTransfer.
import type { DeliveryRecord, TransferRecord } from '../store/records.js';
import type { StagingGate } from './staging-gate.js';
import { nextOrder } from '../monotonic.js';

export type OutcomeStatus = 'ok' | 'offline' | 'failed' | 'pending' | 'cancelled';

export interface NodeOutcome {
  node: string;
  status: OutcomeStatus;
  sha256?: string;
  size?: number;
  fetchedBytes?: number;
  error?: { code: string; message: string };
}

export interface TransferProgress {
  transferId: string;
  kind: TransferRecord['kind'];
  session: string;
  path: string;
  size: number;
  /** Chunks staged so far, of `chunks` (a push is fetched while it is staged). */
  stagedChunks: number;
  chunks: number;
  nodes: Array<{ node: string; state: DeliveryRecord['state']; bytes: number; sentBytes: number }>;
}

export interface LiveTransfer {
  record: TransferRecord;
  /** Creation order in this process (`nextOrder`): last writer wins by it, not by wall-clock `createdAt`. */
  order: number;
  deliveries: Map<string, DeliveryRecord>;
  waiters: Map<string, Array<(o: NodeOutcome) => void>>;
  outcomes: Map<string, NodeOutcome>;
  sentBytes: Map<string, number>;
  persistedAt: Map<string, number>;
  /** Failed attempts per node since the hub started. */
  failures: Map<string, number>;
  abort: AbortController;
  /** How far staging has come; Fetch streams and deliveries wait on it. */
  staging: StagingGate;
  /** Settles when a push is in the hub mirror (or will never be). */
  mirrored: Deferred;
  /** The mirror step, once started. */
  mirroring?: Promise<void>;
  /** The tool call that created the transfer (none for repairs and restored transfers); its deliveries run under it. */
  requestId?: string;
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // nobody may be waiting; whoever waits sees the rejection
  return { promise, resolve, reject };
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One target's outcome: at once when it is known (settled, or read from a
 * delivery state restored after a restart) or the node is offline; else
 * when the delivery settles, the wait times out (`pending`) or is aborted.
 */
export function waitOutcome(live: LiveTransfer, node: string, online: boolean, options: WaitOptions): Promise<NodeOutcome> {
  const settled = live.outcomes.get(node);
  if (settled) return Promise.resolve(settled);
  const delivery = live.deliveries.get(node);
  if (delivery?.state === 'done') return Promise.resolve({ node, status: 'ok', sha256: live.record.sha256, size: live.record.size });
  if (delivery?.state === 'failed') return Promise.resolve({ node, status: 'failed', error: delivery.error });
  if (!delivery) return Promise.resolve({ node, status: 'cancelled' });
  if (!online) return Promise.resolve({ node, status: 'offline' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => done({ node, status: 'pending' }), options.timeoutMs);
    const onAbort = () => done({ node, status: 'cancelled' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const list = live.waiters.get(node) ?? [];
    live.waiters.set(node, list);
    function done(o: NodeOutcome): void {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const i = list.indexOf(done);
      if (i >= 0) list.splice(i, 1);
      resolve(o);
    }
    list.push(done);
  });
}

/** Record a target's outcome and wake whoever waits for it. */
export function settle(live: LiveTransfer, outcome: NodeOutcome): void {
  live.outcomes.set(outcome.node, outcome);
  for (const w of [...(live.waiters.get(outcome.node) ?? [])]) w(outcome);
}

export function newLive(record: TransferRecord, deliveries: DeliveryRecord[], staging: StagingGate): LiveTransfer {
  return {
    record,
    order: nextOrder(),
    deliveries: new Map(deliveries.map((d) => [d.node, d])),
    waiters: new Map(),
    outcomes: new Map(),
    sentBytes: new Map(),
    persistedAt: new Map(),
    failures: new Map(),
    abort: new AbortController(),
    staging,
    mirrored: deferred(),
  };
}

/** Deliveries of the same file share a key: a lane runs them one after another. */
export function laneKey(record: TransferRecord): string {
  return `${record.session}\0${record.path}`;
}

