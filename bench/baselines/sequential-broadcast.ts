// Baseline for the isolation scenario, the design first proposed in review:
// `for (node of members) await send(node)` over the same raw gRPC. Receiver i
// starts only once receiver i-1 has confirmed, so one slow node delays all
// that come after it.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runRawTransfer } from './raw-grpc-run.js';

export interface SequentialBroadcastOptions {
  file: string;
  bytes: number;
  receivers: number;
  workspace: string;
  /** The receiver behind the throttling proxy. Index 0 (first in the member list) is the worst case. */
  slow: { index: number; bytesPerSecond: number };
  pieceBytes?: number;
}

export interface SequentialBroadcastResult {
  receivers: number;
  bytes: number;
  slowIndex: number;
  slowBytesPerSecond: number;
  /** Seconds from the start to each receiver's confirmation, by index. */
  perReceiverSeconds: number[];
  /** Latest completion among the receivers that are not throttled. */
  lastFastSeconds: number;
  seconds: number;
}

export async function runSequentialBroadcast(opts: SequentialBroadcastOptions): Promise<SequentialBroadcastResult> {
  try {
    const r = await runRawTransfer({ ...opts, sequential: true, throttled: [opts.slow] });
    const fast = r.perReceiverSeconds.filter((_, i) => i !== opts.slow.index);
    return {
      receivers: r.receivers,
      bytes: r.bytes,
      slowIndex: opts.slow.index,
      slowBytesPerSecond: opts.slow.bytesPerSecond,
      perReceiverSeconds: r.perReceiverSeconds,
      lastFastSeconds: fast.length > 0 ? Math.max(...fast) : Number.NaN,
      seconds: r.seconds,
    };
  } finally {
    await Promise.all(
      Array.from({ length: opts.receivers }, (_, i) => rm(path.join(opts.workspace, `r${i}`), { recursive: true, force: true })),
    );
  }
}
