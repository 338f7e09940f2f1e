// Aggregate goodput of one push to 1, 4 and 8 real node agents, from the push
// call to every outcome ok (staging included), against raw grpc-js fan-out
// of the same bytes to the same number of receivers. Also: when the first
// byte reached a node (its part file, seen on disk) after the push began, and
// the CPU time the node agents spent per GiB delivered.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { runRawGrpcFanOut } from '../baselines/raw-grpc.js';
import { makeTestFile } from '../lib/data.js';
import { expectAllOk, killAll, startBenchHub, startBenchNode, waitAttached, type BenchHub, type PushOutcome } from '../lib/mesh.js';
import { cpuTimeMs, tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { mibPerSecond, printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'fan-out';
export const describe = 'push of 1 GiB (half text, half random) to 1, 4, 8 nodes: aggregate goodput vs raw grpc-js and raw TCP fan-out';

const MiB = 1024 * 1024;
const COUNTS = process.env.MESH_BENCH_FANOUT_NODES ? process.env.MESH_BENCH_FANOUT_NODES.split(",").map(Number) : [1, 4, 8];
const GiB = 1024 * MiB;

/**
 * Resolves with the time (performance.now) at which a `.<name>.part-*` file
 * with at least one byte first appears in `dir`; polls every 2 ms, so the
 * figure is that coarse. Stops when `stop` is set.
 */
async function firstByteAt(dir: string, name: string, stop: { done: boolean }): Promise<number | undefined> {
  const prefix = `.${name}.part-`;
  while (!stop.done) {
    const part = (await readdir(dir).catch(() => [] as string[])).find((n) => n.startsWith(prefix));
    if (part && ((await stat(path.join(dir, part)).catch(() => undefined))?.size ?? 0) > 0) return performance.now();
    if ((await readdir(dir).catch(() => [] as string[])).includes(name)) return undefined; // finished between two looks
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return undefined;
}
/** Target: at least this share of raw grpc-js goodput at every N. */
const TARGET = 0.8;

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 128 * MiB : 1024 * MiB;
  const ws = await tmpWorkspace(true);
  let hub: BenchHub | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), sourceRoots: [path.dirname(source.path)] });
    // Node i is a member of every session "sN" with N > i, so one hub and 8
    // agents serve the three fan-out widths.
    for (let i = 0; i < Math.max(...COUNTS); i++) {
      nodes.push(
        startBenchNode({
          id: `n${i}`,
          workspace: path.join(ws.dir, `n${i}`),
          hub: `127.0.0.1:${hub.grpcPort}`,
          sessions: COUNTS.filter((n) => n > i).map((n) => `s${n}`),
        }),
      );
    }
    await waitAttached(nodes);

    const rows = [];
    for (const n of COUNTS) {
      const dest = `fan-${n}.bin`;
      const cpuBefore = await cpuTimeMs(hub.pid);
      const nodeCpuBefore = await Promise.all(nodes.slice(0, n).map((node) => cpuTimeMs(node.pid)));
      const stop = { done: false };
      const firstByte = firstByteAt(path.join(ws.dir, 'n0', 'sessions', `s${n}`), dest, stop);
      const started = performance.now();
      const staged = hub.proc.waitForLine(new RegExp(`"path":"${dest.replace('.', '\\.')}".*"msg":"staging finished"`), 600_000).then(() => performance.now());
      const result = await hub.call<{ outcomes: PushOutcome[] }>({ op: 'push', session: `s${n}`, source: 'payload.bin', dest });
      const seconds = (performance.now() - started) / 1000;
      stop.done = true;
      const stagingSeconds = ((await staged) - started) / 1000;
      const firstByteAtMs = await firstByte;
      const firstByteSeconds = firstByteAtMs === undefined ? Number.NaN : (firstByteAtMs - started) / 1000;
      const hubCpuMs = (await cpuTimeMs(hub.pid)) - cpuBefore;
      const nodeCpuMs = (await Promise.all(nodes.slice(0, n).map((node) => cpuTimeMs(node.pid)))).reduce((a, ms, i) => a + ms - nodeCpuBefore[i]!, 0);
      const nodeCpuSecondsPerGiB = nodeCpuMs / 1000 / ((fileBytes * n) / GiB);
      expectAllOk(result.outcomes, `push to ${n}`);
      // Free tmpfs before the next width: the node copies and the mirror copy.
      await Promise.all([
        ...nodes.slice(0, n).map((_, i) => rm(path.join(ws.dir, `n${i}`, 'sessions', `s${n}`, dest), { force: true })),
        rm(path.join(ws.dir, 'hub', 'sessions', `s${n}`, dest), { force: true }),
      ]);
      const raw = await runRawGrpcFanOut({ file: source.path, bytes: source.bytes, receivers: n, workspace: ws.dir });
      // The transport's own limit: the same copy over bare sockets (the fetch port's data wire stands on them).
      const tcp = await runRawGrpcFanOut({ file: source.path, bytes: source.bytes, receivers: n, workspace: ws.dir, transport: 'tcp' });
      const ours = (fileBytes * n) / seconds;
      rows.push({
        nodes: n,
        seconds,
        stagingSeconds,
        firstByteSeconds,
        hubCpuSeconds: hubCpuMs / 1000,
        nodeCpuSecondsPerGiB,
        goodputMiBs: mibPerSecond(ours),
        rawSeconds: raw.seconds,
        rawSenderCpuSeconds: raw.senderCpuMs / 1000,
        rawReceiverCpuSecondsPerGiB: raw.receiverCpuMs.reduce((a, ms) => a + ms, 0) / 1000 / ((fileBytes * n) / GiB),
        rawGoodputMiBs: mibPerSecond(raw.aggregateGoodputBytesPerSec),
        ratio: ratio(ours, raw.aggregateGoodputBytesPerSec),
        tcpGoodputMiBs: mibPerSecond(tcp.aggregateGoodputBytesPerSec),
        tcpReceiverCpuSecondsPerGiB: tcp.receiverCpuMs.reduce((a, ms) => a + ms, 0) / 1000 / ((fileBytes * n) / GiB),
        tcpRatio: ratio(ours, tcp.aggregateGoodputBytesPerSec),
      });
    }

    printTable(`push ${fileBytes / MiB} MiB to N nodes vs raw grpc-js (${ws.tmpfs ? 'tmpfs' : 'disk'}; target >= ${TARGET}x of raw)`, rows.map((r) => ({
      nodes: r.nodes,
      'push s': r.seconds,
      'staging done at s': r.stagingSeconds,
      'first byte at a node s': r.firstByteSeconds,
      'hub CPU s': r.hubCpuSeconds,
      'node CPU s/GiB': r.nodeCpuSecondsPerGiB,
      'push MiB/s': r.goodputMiBs,
      'raw s': r.rawSeconds,
      'raw sender CPU s': r.rawSenderCpuSeconds,
      'raw receiver CPU s/GiB': r.rawReceiverCpuSecondsPerGiB,
      'raw MiB/s': r.rawGoodputMiBs,
      'ratio': `${r.ratio.toFixed(2)}x`,
      target: r.ratio >= TARGET ? 'met' : 'MISSED',
      'raw TCP MiB/s': r.tcpGoodputMiBs,
      'raw TCP receiver CPU s/GiB': r.tcpReceiverCpuSecondsPerGiB,
      'vs raw TCP': `${r.tcpRatio.toFixed(2)}x`,
    })));
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, target: TARGET, rows });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Aggregate goodput, ${fileBytes / MiB} MiB pushed to N nodes (loopback${ws.tmpfs ? ', tmpfs' : ''})`,
      unit: 'MiB/s',
      series: rows.flatMap((r) => [
        { label: `push x${r.nodes}`, value: r.goodputMiBs },
        { label: `raw grpc-js x${r.nodes}`, value: r.rawGoodputMiBs, baseline: true },
        { label: `raw TCP x${r.nodes}`, value: r.tcpGoodputMiBs, baseline: true },
      ]),
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await killAll([...nodes]);
    await hub?.stop().catch(() => {});
    await killAll([hub?.proc]);
    await ws.cleanup();
  }
}
