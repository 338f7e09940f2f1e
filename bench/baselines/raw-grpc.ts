// Baseline for the fan-out scenario: plain grpc-js streaming of the same bytes
// from one sender process to N receiver processes at once, each pulling on its
// own stream (receivers dial, like node agents), written to its own folder.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runRawTransfer, type RawRunResult } from './raw-grpc-run.js';

export interface RawFanOutOptions {
  file: string;
  bytes: number;
  receivers: number;
  /** Receivers write under `<workspace>/r<i>/`; removed afterwards. */
  workspace: string;
  pieceBytes?: number;
  /** grpc (default) or bare TCP (raw-tcp-sender/receiver). */
  transport?: 'grpc' | 'tcp';
  /** Receivers reached through a throttling proxy (e.g. the "ideal" isolation figure). */
  throttled?: Array<{ index: number; bytesPerSecond: number }>;
}

/** Send the file to `receivers` receivers in parallel; goodput counts every receiver's copy. */
export async function runRawGrpcFanOut(opts: RawFanOutOptions): Promise<RawRunResult> {
  try {
    return await runRawTransfer({ ...opts, sequential: false });
  } finally {
    await Promise.all(
      Array.from({ length: opts.receivers }, (_, i) => rm(path.join(opts.workspace, `r${i}`), { recursive: true, force: true })),
    );
  }
}
