// The hub must stay responsive while it moves bulk data: MCP `cat` of a small
// file over Streamable HTTP and over stdio during a push to 8 nodes, against
// the same `cat` on the idle hub, and the hub's own event-loop delay
// (status(), HTTP hub only: its driver resets the histogram). Measured
// twice: with the 8 agents competing for this machine's cores as equals of
// the hub, and with them yielding, as nodes on other machines would; the
// kernel's scheduler statistics of the hub's main thread tell its own work
// from its waiting for a core.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { makeTestFile } from '../lib/data.js';
import { summarizeMs, type LatencyResult } from '../lib/latency.js';
import { connectHttp, startStdioHub } from '../lib/mcp-client.js';
import { expectAllOk, killAll, startBenchHub, startBenchNode, waitAttached, type BenchHub, type PushOutcome, stopMesh } from '../lib/mesh.js';
import { freePort, tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import { schedSince, threadSched, type ThreadSched } from '../lib/sched.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'responsiveness';
export const describe = 'MCP cat p50/p99 and hub event-loop delay during a 1 GiB push to 8 nodes vs the idle hub, nodes sharing the cores and yielding them';

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

/** Where the 8 agents stand against the hub for CPU on this one machine. */
interface Layout {
  name: string;
  /** Agents at the lowest CPU priority (startBenchNode's `nice`). */
  niceNodes: boolean;
  describe: string;
}

const TRANSPORTS: Transport[] = ['http', 'stdio'];

const LAYOUTS: Layout[] = [
  { name: 'nodes share the cores', niceNodes: false, describe: 'each agent weighs as much as the whole hub in the scheduler' },
  { name: 'nodes yield the cores', niceNodes: true, describe: 'agents at the lowest priority, as if they ran on other machines' },
];

type Transport = 'http' | 'stdio';

/** A hub under test as the scenario drives it, whatever its MCP transport. */
interface HubUnderTest {
  client: Client;
  pid: number;
  grpcPort: number;
  /** Start the event-loop delay histogram afresh; false where the transport cannot (stdio: status reports since start). */
  resetLoopDelay(): Promise<boolean>;
  loopDelay(): Promise<LoopDelay | undefined>;
  /** Push the source to every member; throws unless every node's outcome is ok. */
  push(): Promise<void>;
  close(): Promise<void>;
}

/** The HTTP hub of the bench driver: push, status and loop-delay reset go over its command pipe. */
async function httpHub(dataDir: string, sourceDir: string): Promise<HubUnderTest> {
  const hub: BenchHub = await startBenchHub({ dataDir, sourceRoots: [sourceDir], http: true });
  const client = await connectHttp(hub.mcpUrl!, hub.mcpToken!);
  return {
    client,
    pid: hub.pid,
    grpcPort: hub.grpcPort,
    resetLoopDelay: async () => (await hub.call({ op: 'reset-loop-delay' }), true),
    loopDelay: async () => (await hub.call<{ eventLoopDelayMs: LoopDelay }>({ op: 'status' })).eventLoopDelayMs,
    push: async () => expectAllOk((await hub.call<{ outcomes: PushOutcome[] }>({ op: 'push', session: SESSION, source: 'payload.bin', dest: 'big.bin' })).outcomes, 'push during the cat loop'),
    close: async () => {
      await client.close().catch(() => {});
      await stopMesh([], hub);
    },
  };
}

/** `mesh-assistant hub --stdio` as an MCP host starts it; the push is an MCP `push` call on the same connection as the `cat` calls. */
async function stdioHub(dataDir: string, sourceDir: string): Promise<HubUnderTest> {
  const grpcPort = await freePort();
  const { client, pid } = await startStdioHub(dataDir, ['--grpc', `127.0.0.1:${grpcPort}`, '--source-root', sourceDir]);
  return {
    client,
    pid,
    grpcPort,
    resetLoopDelay: async () => false,
    loopDelay: async () => undefined,
    push: async () => {
      const r = await client.callTool({ name: 'push', arguments: { session: SESSION, source: 'payload.bin', dest: 'big.bin' } }, undefined, { timeout: 600_000 });
      if (r.isError) throw new Error(`push failed: ${JSON.stringify(r.content).slice(0, 300)}`);
      expectAllOk((r.structuredContent as { outcomes: PushOutcome[] }).outcomes, 'push during the cat loop');
    },
    close: () => client.close(), // ends the hub process
  };
}

interface Measured {
  layout: Layout;
  transport: Transport;
  fileBytes: number;
  pushSeconds: number;
  tmpfs: boolean;
  idle: LatencyResult;
  busy: LatencyResult;
  /** Undefined over stdio (the status tool reports the delay since start only). */
  idleLoop: LoopDelay | undefined;
  busyLoop: LoopDelay | undefined;
  /** The hub's main thread during the push, from the kernel's scheduler statistics. */
  mainThread: ThreadSched | undefined;
}

async function measure(layout: Layout, transport: Transport, quick: boolean): Promise<Measured> {
  const fileBytes = quick ? 128 * MiB : 1024 * MiB;
  const idleSamples = quick ? 200 : 1000;
  const ws = await tmpWorkspace(true);
  const dataDir = path.join(ws.dir, 'hub');
  let hub: HubUnderTest | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    await mkdir(path.join(dataDir, 'sessions', SESSION), { recursive: true });
    await writeFile(path.join(dataDir, 'sessions', SESSION, 'small.txt'), 'a small file read while a push runs\n'.repeat(30));
    hub = await (transport === 'http' ? httpHub : stdioHub)(dataDir, path.dirname(source.path));
    for (let i = 0; i < NODES; i++) {
      nodes.push(startBenchNode({ id: `n${i}`, workspace: path.join(ws.dir, `n${i}`), hub: `127.0.0.1:${hub.grpcPort}`, sessions: [SESSION], nice: layout.niceNodes }));
    }
    await waitAttached(nodes);
    const { client } = hub;
    await catLoop(client, () => false, 20, 10_000); // warm-up

    const fresh = await hub.resetLoopDelay();
    const idle = summarizeMs('cat idle', await catLoop(client, () => false, idleSamples, 60_000));
    const idleLoop = fresh ? await hub.loopDelay() : undefined;

    await hub.resetLoopDelay();
    let done = false;
    const started = performance.now();
    const schedBefore = await threadSched(hub.pid);
    const push = hub.push().finally(() => (done = true));
    const busyMs = await catLoop(client, () => done, 1_000_000, 600_000);
    await push;
    const pushSeconds = (performance.now() - started) / 1000;
    const mainThread = schedSince(schedBefore, await threadSched(hub.pid));
    const busyLoop = fresh ? await hub.loopDelay() : undefined;
    return { layout, transport, fileBytes, pushSeconds, tmpfs: ws.tmpfs, idle, busy: summarizeMs('cat during push', busyMs), idleLoop, busyLoop, mainThread };
  } finally {
    await killAll(nodes);
    await hub?.close().catch(() => {});
    await ws.cleanup();
  }
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const runs: Measured[] = [];
  for (const layout of LAYOUTS) for (const transport of TRANSPORTS) runs.push(await measure(layout, transport, quick));
  const first = runs[0]!;
  const perSecond = (ms: number | undefined, m: Measured) => (ms === undefined ? '-' : (ms / m.pushSeconds).toFixed(0));
  const rows = runs.flatMap((m) => {
    const row = (label: string, l: LatencyResult, loop: LoopDelay | undefined) => ({
      layout: label === 'idle' ? m.layout.name : '',
      mcp: label === 'idle' ? m.transport : '',
      hub: label,
      calls: l.samples,
      'cat p50 ms': l.p50Ms,
      'cat p99 ms': l.p99Ms,
      'cat max ms': l.maxMs,
      'p99 vs idle': `${ratio(l.p99Ms, m.idle.p99Ms).toFixed(2)}x`,
      'loop delay p50 ms': loop?.p50 ?? '-',
      'loop delay p99 ms': loop?.p99 ?? '-',
      'loop delay max ms': loop?.max ?? '-',
      'push s': label === 'idle' ? '' : m.pushSeconds.toFixed(1),
      'main thread CPU ms/s': label === 'idle' ? '' : perSecond(m.mainThread?.runMs, m),
      'main thread waiting for a core ms/s': label === 'idle' ? '' : perSecond(m.mainThread?.waitMs, m),
    });
    return [row('idle', m.idle, m.idleLoop), row('during push', m.busy, m.busyLoop)];
  });
  printTable(`MCP cat over HTTP and stdio, idle vs during a ${first.fileBytes / MiB} MiB push to ${NODES} nodes (${first.tmpfs ? 'tmpfs' : 'disk'}); ${LAYOUTS.map((l) => `"${l.name}": ${l.describe}`).join('; ')}`, rows);
  printTable(
    'targets',
    runs.flatMap((m) => {
      const catRatio = ratio(m.busy.p99Ms, m.idle.p99Ms);
      const cat = { layout: m.layout.name, mcp: m.transport, target: `cat p99 during push <= ${CAT_TARGET}x idle`, value: `${catRatio.toFixed(2)}x`, outcome: catRatio <= CAT_TARGET ? 'met' : 'MISSED' };
      if (!m.busyLoop) return [cat];
      return [cat, { layout: '', mcp: '', target: `event-loop delay p99 < ${LOOP_TARGET_MS} ms`, value: `${m.busyLoop.p99.toFixed(1)} ms`, outcome: m.busyLoop.p99 < LOOP_TARGET_MS ? 'met' : 'MISSED' }];
    }),
  );
  const file = await writeResult(name, { quick, nodes: NODES, catTarget: CAT_TARGET, loopTargetMs: LOOP_TARGET_MS, runs });
  await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
    title: `MCP cat latency, idle vs during a ${first.fileBytes / MiB} MiB push to ${NODES} nodes`,
    unit: 'ms',
    series: runs.flatMap((m) => [
      { label: `cat p99, idle (${m.transport}, ${m.layout.name})`, value: m.idle.p99Ms, baseline: true },
      { label: `cat p99, during push (${m.transport}, ${m.layout.name})`, value: m.busy.p99Ms },
      ...(m.busyLoop ? [{ label: `loop delay p99, during push (${m.transport}, ${m.layout.name})`, value: m.busyLoop.p99 }] : []),
    ]),
  });
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
}
