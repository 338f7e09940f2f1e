// Stage once: the work the hub spends reading and hashing a file must not grow
// with the number of nodes it goes to. The same file is pushed to 1 node,
// then to 8; compared are the chunks the hub staged (status().staging: each
// read and hashed once), and, as information, the wall time hashing took (it
// runs on the libuv pool, so it also counts waiting for a pool thread while
// the pool serves eight streams) and the hub process's total CPU time (which
// also pays for serving every node its stream).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { makeTestFile } from '../lib/data.js';
import { expectAllOk, startBenchHub, startBenchNode, waitAttached, type BenchHub, type PushOutcome, stopMesh } from '../lib/mesh.js';
import { cpuTimeMs, tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'stage-once';
export const describe = 'hub staging work (chunks staged, hashing time) for one file to 8 nodes vs to 1 node';

const MiB = 1024 * 1024;
const WIDE = 8;
/** Target: chunks staged for 8 nodes at most this factor of those for 1 (1.0: each chunk once). */
const TARGET = 1.0;

interface Staging {
  hashMs: number;
  bytesStaged: number;
  chunksStaged: number;
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 64 * MiB : 256 * MiB;
  const ws = await tmpWorkspace(true);
  let hub: BenchHub | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), sourceRoots: [path.dirname(source.path)] });
    for (let i = 0; i < WIDE; i++) {
      nodes.push(startBenchNode({ id: `n${i}`, workspace: path.join(ws.dir, `n${i}`), hub: `127.0.0.1:${hub.grpcPort}`, sessions: i === 0 ? ['one', 'wide'] : ['wide'] }));
    }
    await waitAttached(nodes);

    const measure = async (session: string, dest: string, width: number) => {
      const before = (await hub!.call<{ staging: Staging }>({ op: 'status' })).staging;
      const cpuBefore = await cpuTimeMs(hub!.pid);
      const result = await hub!.call<{ outcomes: PushOutcome[] }>({ op: 'push', session, source: 'payload.bin', dest });
      const cpuMs = (await cpuTimeMs(hub!.pid)) - cpuBefore;
      const after = (await hub!.call<{ staging: Staging }>({ op: 'status' })).staging;
      expectAllOk(result.outcomes, `push to ${session}`);
      await Promise.all([
        ...nodes.slice(0, width).map((_, i) => rm(path.join(ws.dir, `n${i}`, 'sessions', session, dest), { force: true })),
        rm(path.join(ws.dir, 'hub', 'sessions', session, dest), { force: true }),
      ]);
      return {
        nodes: width,
        hashMs: after.hashMs - before.hashMs,
        chunksStaged: after.chunksStaged - before.chunksStaged,
        hubCpuMs: cpuMs,
      };
    };
    // A warm-up push so that JIT and first-use costs land on neither figure.
    await measure('one', 'warmup.bin', 1);
    const one = await measure('one', 'one.bin', 1);
    const wide = await measure('wide', 'wide.bin', WIDE);
    const hashRatio = ratio(wide.hashMs, one.hashMs);
    const stagedRatio = ratio(wide.chunksStaged, one.chunksStaged);
    const cpuRatio = ratio(wide.hubCpuMs, one.hubCpuMs);

    printTable(`hub CPU for ${fileBytes / MiB} MiB (half text, half random), 1 vs ${WIDE} nodes (${ws.tmpfs ? 'tmpfs' : 'disk'})`, [
      { nodes: one.nodes, 'chunks staged': one.chunksStaged, 'hashing s (staging clock)': one.hashMs / 1000, 'hub process CPU s': one.hubCpuMs / 1000 },
      { nodes: wide.nodes, 'chunks staged': wide.chunksStaged, 'hashing s (staging clock)': wide.hashMs / 1000, 'hub process CPU s': wide.hubCpuMs / 1000 },
    ]);
    printTable(`ratios, ${WIDE} nodes / 1 node (target for chunks staged <= ${TARGET}x)`, [
      { figure: 'chunks staged', ratio: `${stagedRatio.toFixed(2)}x`, target: stagedRatio <= TARGET ? 'met' : 'MISSED' },
      { figure: 'hashing wall time (pool, includes waiting)', ratio: `${hashRatio.toFixed(2)}x`, target: '-' },
      { figure: 'hub process CPU (includes serving 8 streams)', ratio: `${cpuRatio.toFixed(2)}x`, target: '-' },
    ]);
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, target: TARGET, one, wide, stagedRatio, hashRatio, cpuRatio });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Hub CPU seconds, ${fileBytes / MiB} MiB to 1 vs ${WIDE} nodes`,
      unit: 's',
      series: [
        { label: 'hashing, 1 node', value: one.hashMs / 1000, baseline: true },
        { label: `hashing, ${WIDE} nodes`, value: wide.hashMs / 1000 },
        { label: 'process CPU, 1 node', value: one.hubCpuMs / 1000, baseline: true },
        { label: `process CPU, ${WIDE} nodes`, value: wide.hubCpuMs / 1000 },
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await stopMesh(nodes, hub);
    await ws.cleanup();
  }
}
