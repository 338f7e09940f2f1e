// One slow node must delay nobody: 7 fast nodes and an 8th behind a 1 MiB/s
// link. The push call waits for every node, so the fast nodes' completion is
// read from their "delivered" log lines. Compared with the same 7 nodes and
// no slow one (same hub), and with the sequential broadcast first proposed in
// review, where the slow node is first in line.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startThrottleProxy, type ThrottleProxy } from '../../test/support/throttle-proxy.js';
import { runSequentialBroadcast } from '../baselines/sequential-broadcast.js';
import { makeTestFile } from '../lib/data.js';
import { expectAllOk, FETCH_ON_LINK, startBenchHub, startBenchNode, waitAttached, waitDelivered, type BenchHub, type PushOutcome, stopMesh } from '../lib/mesh.js';
import { tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'isolation';
export const describe = '7 fast nodes + 1 behind a 1 MiB/s link: fast nodes\' completion vs the 7 alone and vs sequential broadcast';

const MiB = 1024 * 1024;
const FAST = 7;
const SLOW_RATE = 1 * MiB;
/** Target: fast nodes within this factor of their time without the slow node. */
const TARGET = 1.1;

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 4 * MiB : 64 * MiB;
  const reps = quick ? 1 : 3;
  const ws = await tmpWorkspace(true);
  let hub: BenchHub | undefined;
  let proxy: ThrottleProxy | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), sourceRoots: [path.dirname(source.path)] });
    proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: hub.grpcPort }, bytesPerSecond: SLOW_RATE });
    // Session "fast": the 7 fast nodes. Session "mixed": the same 7 and the slow one.
    for (let i = 0; i < FAST; i++) {
      nodes.push(startBenchNode({ id: `fast${i}`, workspace: path.join(ws.dir, `fast${i}`), hub: `127.0.0.1:${hub.grpcPort}`, sessions: ['fast', 'mixed'] }));
    }
    const slow = startBenchNode({ id: 'slow', workspace: path.join(ws.dir, 'slow'), hub: `127.0.0.1:${proxy.port}`, sessions: ['mixed'], extraArgs: FETCH_ON_LINK });
    nodes.push(slow);
    await waitAttached(nodes, 60_000);
    const fastNodes = nodes.slice(0, FAST);

    /** Seconds from the push call to each fast node's "delivered" line. */
    const measure = async (session: string, dest: string): Promise<{ perNode: number[]; result: Promise<{ outcomes: PushOutcome[] }> }> => {
      const started = performance.now();
      const push = hub!.send<{ outcomes: PushOutcome[] }>({ op: 'push', session, source: 'payload.bin', dest });
      push.result.catch(() => {}); // awaited (or cancelled) by the caller
      const perNode = await Promise.all(fastNodes.map(async (n) => ((await waitDelivered(n, dest, 300_000)).at - started) / 1000));
      return { perNode, result: push.result };
    };

    const rows = [];
    for (let rep = 0; rep < reps; rep++) {
      const alone = await measure('fast', `alone-${rep}.bin`);
      expectAllOk((await alone.result).outcomes, 'push to the fast nodes');
      const mixed = await measure('mixed', `mixed-${rep}.bin`);
      const slowProgress = ((await hub.call<{ transfers: Array<{ path: string; nodes: Array<{ node: string; bytes: number }> }> }>({ op: 'status' }))
        .transfers.find((t) => t.path === `mixed-${rep}.bin`)?.nodes.find((n) => n.node === 'slow')?.bytes) ?? 0;
      // The slow node would need minutes more at its rate: open its link, and
      // check that it too ends ok (a cancel would queue behind the data already
      // in flight on its slow connection).
      proxy.setRate(Infinity);
      expectAllOk((await mixed.result).outcomes, 'push to the fast nodes and the slow one');
      proxy.setRate(SLOW_RATE);
      await rm(path.join(ws.dir, 'slow', 'sessions', 'mixed', `mixed-${rep}.bin`), { force: true });
      const aloneLast = Math.max(...alone.perNode);
      const mixedLast = Math.max(...mixed.perNode);
      rows.push({ rep, aloneLastSeconds: aloneLast, mixedLastSeconds: mixedLast, ratio: ratio(mixedLast, aloneLast), slowVerifiedBytes: slowProgress });
      await Promise.all(
        fastNodes.flatMap((_, i) => [
          rm(path.join(ws.dir, `fast${i}`, 'sessions', 'fast', `alone-${rep}.bin`), { force: true }),
          rm(path.join(ws.dir, `fast${i}`, 'sessions', 'mixed', `mixed-${rep}.bin`), { force: true }),
        ]),
      );
    }

    const seq = await runSequentialBroadcast({
      file: source.path,
      bytes: source.bytes,
      receivers: FAST + 1,
      workspace: ws.dir,
      slow: { index: 0, bytesPerSecond: SLOW_RATE },
    });
    const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const alone = medianOf(rows.map((r) => r.aloneLastSeconds));
    const mixed = medianOf(rows.map((r) => r.mixedLastSeconds));

    printTable(`fast nodes' completion, ${fileBytes / MiB} MiB, slow node at ${SLOW_RATE / MiB} MiB/s (${ws.tmpfs ? 'tmpfs' : 'disk'})`, rows.map((r) => ({
      rep: r.rep,
      '7 alone: last done s': r.aloneLastSeconds,
      '7 + slow: last fast done s': r.mixedLastSeconds,
      ratio: `${r.ratio.toFixed(2)}x`,
      'slow node verified MiB then': r.slowVerifiedBytes / MiB,
    })));
    printTable(`summary (median of ${reps}; target: fast nodes within ${TARGET}x of alone)`, [
      { design: 'per-node lanes (ours), 7 alone', 'last fast node s': alone, 'vs 7 alone': '1.00x', target: '-' },
      { design: 'per-node lanes (ours), with slow node', 'last fast node s': mixed, 'vs 7 alone': `${ratio(mixed, alone).toFixed(2)}x`, target: ratio(mixed, alone) <= TARGET ? 'met' : 'MISSED' },
      { design: 'sequential broadcast, slow node first', 'last fast node s': seq.lastFastSeconds, 'vs 7 alone': `${ratio(seq.lastFastSeconds, alone).toFixed(2)}x`, target: '-' },
    ]);
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, slowBytesPerSecond: SLOW_RATE, target: TARGET, rows, medianAloneSeconds: alone, medianMixedSeconds: mixed, sequential: seq });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Time until the 7 fast nodes have ${fileBytes / MiB} MiB (8th node at ${SLOW_RATE / MiB} MiB/s)`,
      unit: 's',
      series: [
        { label: 'ours, 7 alone', value: alone },
        { label: 'ours, with slow node', value: mixed },
        { label: 'sequential broadcast', value: seq.lastFastSeconds, baseline: true },
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await stopMesh(nodes, hub);
    await proxy?.close();
    await ws.cleanup();
  }
}
