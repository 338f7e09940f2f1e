// The hub must stay responsive while it moves bulk data: MCP `cat` of a small
// file over Streamable HTTP during a push to 8 nodes, against the same `cat`
// on the idle hub, and the hub's own event-loop delay (status()).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { makeTestFile } from '../lib/data.js';
import { summarizeMs, type LatencyResult } from '../lib/latency.js';
import { connectHttp } from '../lib/mcp-client.js';
import { expectAllOk, startBenchHub, startBenchNode, waitAttached, type BenchHub, type PushOutcome, stopMesh } from '../lib/mesh.js';
import { tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'responsiveness';
export const describe = 'MCP cat p50/p99 and hub event-loop delay during a 1 GiB push to 8 nodes vs the idle hub';

const MiB = 1024 * 1024;
const NODES = 8;
const SESSION = 'resp';
/** Targets: busy cat p99 within this factor of idle; event-loop delay p99 under this many ms. */
const CAT_TARGET = 2;
const LOOP_TARGET_MS = 20;
/** Pause between two cat calls, ms: a steady reader, not a flood that would itself load the hub. */
const GAP_MS = 5;

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

async function catLoop(client: Client, until: () => boolean, maxSamples: number, maxMs: number): Promise<number[]> {
  const ms: number[] = [];
  const deadline = performance.now() + maxMs;
  while (!until() && ms.length < maxSamples && performance.now() < deadline) {
    const started = performance.now();
    const r = await client.callTool({ name: 'cat', arguments: { session: SESSION, path: 'small.txt' } });
    ms.push(performance.now() - started);
    if (r.isError) throw new Error(`cat failed: ${JSON.stringify(r.content).slice(0, 200)}`);
    await new Promise((res) => setTimeout(res, GAP_MS));
  }
  return ms;
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 128 * MiB : 1024 * MiB;
  const idleSamples = quick ? 200 : 1000;
  const ws = await tmpWorkspace(true);
  const dataDir = path.join(ws.dir, 'hub');
  let hub: BenchHub | undefined;
  let client: Client | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    await mkdir(path.join(dataDir, 'sessions', SESSION), { recursive: true });
    await writeFile(path.join(dataDir, 'sessions', SESSION, 'small.txt'), 'a small file read while a push runs\n'.repeat(30));
    hub = await startBenchHub({ dataDir, sourceRoots: [path.dirname(source.path)], http: true });
    for (let i = 0; i < NODES; i++) {
      nodes.push(startBenchNode({ id: `n${i}`, workspace: path.join(ws.dir, `n${i}`), hub: `127.0.0.1:${hub.grpcPort}`, sessions: [SESSION] }));
    }
    await waitAttached(nodes);
    client = await connectHttp(hub.mcpUrl!, hub.mcpToken!);
    await catLoop(client, () => false, 20, 10_000); // warm-up

    await hub.call({ op: 'reset-loop-delay' });
    const idle = summarizeMs('cat idle', await catLoop(client, () => false, idleSamples, 60_000));
    const idleLoop = (await hub.call<{ eventLoopDelayMs: LoopDelay }>({ op: 'status' })).eventLoopDelayMs;

    await hub.call({ op: 'reset-loop-delay' });
    let done = false;
    const started = performance.now();
    const push = hub.call<{ outcomes: PushOutcome[] }>({ op: 'push', session: SESSION, source: 'payload.bin', dest: 'big.bin' }).finally(() => (done = true));
    const busyMs = await catLoop(client, () => done, 1_000_000, 600_000);
    const result = await push;
    const pushSeconds = (performance.now() - started) / 1000;
    const busyLoop = (await hub.call<{ eventLoopDelayMs: LoopDelay }>({ op: 'status' })).eventLoopDelayMs;
    expectAllOk(result.outcomes, 'push during the cat loop');
    const busy = summarizeMs('cat during push', busyMs);

    const row = (label: string, l: LatencyResult, loop: LoopDelay) => ({
      hub: label,
      calls: l.samples,
      'cat p50 ms': l.p50Ms,
      'cat p99 ms': l.p99Ms,
      'cat max ms': l.maxMs,
      'p99 vs idle': `${ratio(l.p99Ms, idle.p99Ms).toFixed(2)}x`,
      'loop delay p50 ms': loop.p50,
      'loop delay p99 ms': loop.p99,
      'loop delay max ms': loop.max,
    });
    printTable(`MCP cat over HTTP, idle vs during a ${fileBytes / MiB} MiB push to ${NODES} nodes (${pushSeconds.toFixed(1)} s; ${ws.tmpfs ? 'tmpfs' : 'disk'})`, [
      row('idle', idle, idleLoop),
      row('during push', busy, busyLoop),
    ]);
    const catOk = ratio(busy.p99Ms, idle.p99Ms) <= CAT_TARGET;
    const loopOk = busyLoop.p99 < LOOP_TARGET_MS;
    printTable('targets', [
      { target: `cat p99 during push <= ${CAT_TARGET}x idle`, value: `${ratio(busy.p99Ms, idle.p99Ms).toFixed(2)}x`, outcome: catOk ? 'met' : 'MISSED' },
      { target: `event-loop delay p99 < ${LOOP_TARGET_MS} ms`, value: `${busyLoop.p99.toFixed(1)} ms`, outcome: loopOk ? 'met' : 'MISSED' },
    ]);
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, nodes: NODES, pushSeconds, idle, busy, idleLoop, busyLoop, catTarget: CAT_TARGET, loopTargetMs: LOOP_TARGET_MS });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `MCP cat latency, idle vs during a ${fileBytes / MiB} MiB push to ${NODES} nodes`,
      unit: 'ms',
      series: [
        { label: 'cat p50, idle', value: idle.p50Ms, baseline: true },
        { label: 'cat p50, during push', value: busy.p50Ms },
        { label: 'cat p99, idle', value: idle.p99Ms, baseline: true },
        { label: 'cat p99, during push', value: busy.p99Ms },
        { label: 'loop delay p99, during push', value: busyLoop.p99 },
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await client?.close().catch(() => {});
    await stopMesh(nodes, hub);
    await ws.cleanup();
  }
}
