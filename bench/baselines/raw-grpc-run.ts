// Runs one raw transfer, over gRPC or over bare TCP: a sender process, N
// receiver processes (some optionally behind a throttling proxy), a common
// start signal, and the time each receiver took. Shared by the fan-out and
// sequential-broadcast baselines.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MeshError } from '../../src/errors.js';
import { startThrottleProxy, type ThrottleProxy } from '../../test/support/throttle-proxy.js';
import { cpuTimeMs, startTsScript, type BenchProcess } from '../lib/proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface RawRunOptions {
  /** File to send, and its size in bytes. */
  file: string;
  bytes: number;
  receivers: number;
  /** Folder under which each receiver gets `r<i>/`. */
  workspace: string;
  /** Serve receivers one after another (each confirms before the next starts); default false. */
  sequential?: boolean;
  /** Receivers reached through a throttling proxy, by index. */
  throttled?: Array<{ index: number; bytesPerSecond: number }>;
  /** Message size in bytes; default 4 MiB. */
  pieceBytes?: number;
  /** Whole-run limit in ms, start-up included; default 30 minutes. */
  timeoutMs?: number;
  /** grpc (default): raw-grpc-sender/receiver; tcp: raw-tcp-sender/receiver (not sequential). */
  transport?: 'grpc' | 'tcp';
}

export interface RawRunResult {
  receivers: number;
  bytes: number;
  /** From the start signal to the last receiver done. */
  seconds: number;
  /** Seconds from the start signal to each receiver's done, by index. */
  perReceiverSeconds: number[];
  /** bytes x receivers / seconds. */
  aggregateGoodputBytesPerSec: number;
  /** CPU time the sender process used during the transfer, in ms. */
  senderCpuMs: number;
  /** CPU time each receiver used while pulling, in ms, by index (the yardstick of a node agent's CPU per GiB). */
  receiverCpuMs: number[];
}

export async function runRawTransfer(opts: RawRunOptions): Promise<RawRunResult> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const procs: BenchProcess[] = [];
  const proxies: ThrottleProxy[] = [];
  try {
    const senderArgs = [opts.file, '--piece-bytes', String(opts.pieceBytes ?? 4 * 1024 * 1024)];
    if (opts.sequential) senderArgs.push('--sequential');
    const transport = opts.transport ?? 'grpc';
    if (opts.sequential && transport !== 'grpc') throw new MeshError('INVALID_ARGUMENT', 'a sequential raw transfer runs over gRPC only');
    const sender = startTsScript(path.join(HERE, `raw-${transport}-sender.ts`), senderArgs, { name: 'raw-sender' });
    procs.push(sender);
    const port = Number((await sender.waitForLine(/^listening (\d+)$/, 60_000))[1]);

    const receivers: BenchProcess[] = [];
    for (let i = 0; i < opts.receivers; i++) {
      const slow = opts.throttled?.find((t) => t.index === i);
      let targetPort = port;
      if (slow) {
        const proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port }, bytesPerSecond: slow.bytesPerSecond });
        proxies.push(proxy);
        targetPort = proxy.port;
      }
      const dir = path.join(opts.workspace, `r${i}`);
      await mkdir(dir, { recursive: true });
      const r = startTsScript(
        path.join(HERE, `raw-${transport}-receiver.ts`),
        [`127.0.0.1:${targetPort}`, String(i), path.join(dir, 'data.bin')],
        { name: `raw-receiver-${i}`, stdin: true },
      );
      receivers.push(r);
      procs.push(r);
    }
    // Start-up (tsx loading, connecting) stays out of the measured time.
    await Promise.all(receivers.map((r) => r.waitForLine(/^ready$/, 120_000)));

    const cpuBefore = await cpuTimeMs(sender.pid);
    const started = performance.now();
    for (const r of receivers) r.child.stdin!.write('go\n');
    const receiverCpuMs: number[] = [];
    const perReceiverSeconds = await Promise.all(
      receivers.map(async (r, i) => {
        const done = await r.waitForLine(/^done (\d+) \S+ (\d+)/, timeoutMs);
        receiverCpuMs[i] = Number(done[2]);
        return (performance.now() - started) / 1000;
      }),
    );
    const seconds = Math.max(...perReceiverSeconds);
    const senderCpuMs = (await cpuTimeMs(sender.pid)) - cpuBefore;

    for (let i = 0; i < opts.receivers; i++) {
      const size = (await stat(path.join(opts.workspace, `r${i}`, 'data.bin'))).size;
      if (size !== opts.bytes) throw new MeshError('TRANSFER_FAILED', `receiver ${i} wrote ${size} bytes, expected ${opts.bytes}`);
    }
    return {
      receivers: opts.receivers,
      bytes: opts.bytes,
      seconds,
      perReceiverSeconds,
      aggregateGoodputBytesPerSec: (opts.bytes * opts.receivers) / seconds,
      senderCpuMs,
      receiverCpuMs,
    };
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    await Promise.all(proxies.map((p) => p.close()));
  }
}
