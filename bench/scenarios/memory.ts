// Hub memory under a large fan-out: peak resident memory of the hub process
// while it pushes 1 GiB to 16 node agents, against the same process idle with
// the 16 nodes attached. Nodes pull at their own pace, so the hub should hold
// a bounded number of chunks per node, not the file.
import os from 'node:os';
import path from 'node:path';
import { makeTestFile } from '../lib/data.js';
import { expectAllOk, startBenchHub, startBenchNode, waitAttached, type BenchHub, type PushOutcome, stopMesh } from '../lib/mesh.js';
import { sampleRss, tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { formatBytes, printTable, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'memory';
export const describe = 'hub peak RSS while pushing 1 GiB to 16 nodes vs the idle hub';

const MiB = 1024 * 1024;
const NODES = 16;
/** Target: growth over idle under this budget, bytes. */
const BUDGET_BYTES = 64 * MiB + NODES * 4 * MiB;
const IDLE_SAMPLE_MS = 2_000;

export async function run({ quick }: ScenarioOptions): Promise<void> {
  // Quick: 128 MiB (32 chunks) already reaches the steady state and keeps the
  // whole quick suite under two minutes on a 2-core machine.
  const fileBytes = quick ? 128 * MiB : 1024 * MiB;
  // 16 copies of 1 GiB do not fit in this machine's RAM next to everything
  // else, so the full run writes to disk; the hub's memory is the figure here.
  const ws = await tmpWorkspace(quick || os.totalmem() > 64 * 1024 * MiB);
  let hub: BenchHub | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), sourceRoots: [path.dirname(source.path)] });
    for (let i = 0; i < NODES; i++) {
      nodes.push(startBenchNode({ id: `n${i}`, workspace: path.join(ws.dir, `n${i}`), hub: `127.0.0.1:${hub.grpcPort}`, sessions: ['mem'] }));
    }
    await waitAttached(nodes, 60_000);

    const idleSampler = sampleRss(hub.pid, 50);
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const idle = await idleSampler.stop();

    const busySampler = sampleRss(hub.pid, 50);
    const started = performance.now();
    const result = await hub.call<{ outcomes: PushOutcome[] }>({ op: 'push', session: 'mem', source: 'payload.bin', dest: 'big.bin' }, 1_200_000);
    const seconds = (performance.now() - started) / 1000;
    const busy = await busySampler.stop();
    expectAllOk(result.outcomes, 'push to 16 nodes');

    const growth = busy.peakRssBytes - idle.peakRssBytes;
    const row = {
      'idle RSS MiB': idle.peakRssBytes / MiB,
      'peak RSS during push MiB': busy.peakRssBytes / MiB,
      'growth MiB': growth / MiB,
      'budget MiB': BUDGET_BYTES / MiB,
      'growth / budget': `${(growth / BUDGET_BYTES).toFixed(2)}x`,
      target: growth <= BUDGET_BYTES ? 'met' : 'MISSED',
      'VmHWM MiB (whole life)': busy.vmHwmBytes / MiB,
      'push s': seconds,
      samples: busy.samples,
    };
    printTable(`hub memory, ${formatBytes(fileBytes)} to ${NODES} nodes (${ws.tmpfs ? 'tmpfs' : 'disk'}; budget 64 MiB + 4 MiB per node over idle)`, [row]);
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, nodes: NODES, budgetBytes: BUDGET_BYTES, idle, busy, growthBytes: growth, seconds });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Hub resident memory, ${formatBytes(fileBytes)} pushed to ${NODES} nodes`,
      unit: 'MiB',
      series: [
        { label: 'idle hub (baseline)', value: idle.peakRssBytes / MiB, baseline: true },
        { label: 'peak during push', value: busy.peakRssBytes / MiB },
        { label: 'idle + budget', value: (idle.peakRssBytes + BUDGET_BYTES) / MiB, baseline: true },
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await stopMesh(nodes, hub);
    await ws.cleanup();
  }
}
