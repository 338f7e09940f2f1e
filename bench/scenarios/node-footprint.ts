// What a node agent costs while nothing happens, and what a change costs:
// one node with 100,000 small files (10,000 quick) in its session copy,
// attached through a counting proxy. Measured from outside the processes:
// CPU time and RSS from /proc, bytes at the proxy, file contents on disk.
//   - node CPU and RSS while idle (after its first report is stored);
//   - hub RSS rise while the node reports its files (idle hub before);
//   - bytes node -> hub for one file changed among them;
//   - one file edited on the node, repaired from the mirror: time until the
//     node's copy holds the mirror's bytes again;
//   - drift reported for 1,000 writes delivered while a second node
//     verifies its copy every second (every report is a false alarm).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startThrottleProxy, type ThrottleProxy } from '../../test/support/throttle-proxy.js';
import { FETCH_ON_LINK, startBenchHub, startBenchNode, stopMesh, waitAttached, type BenchHub } from '../lib/mesh.js';
import { cpuTimeMs, sampleRss, tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { printTable, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'node-footprint';
export const describe = 'node agent idle CPU and RSS with 100,000 files, hub RSS while it reports them, bytes per change, repair time, false drift';

const MiB = 1024 * 1024;
const SESSION = 'fp';

async function makeFiles(root: string, count: number): Promise<void> {
  for (let d = 0; d < count / 100; d++) {
    const dir = path.join(root, `d${d % 10}`, `e${d}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, f) => writeFile(path.join(dir, `f${f}.txt`), `file ${d}/${f}\n`)));
  }
}

/** Poll (bounded) until `check` is true; returns the time it took, ms. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 10): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return performance.now() - started;
}

async function rssNow(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0) * 1024;
}

const parsed = (proc: BenchProcess) =>
  proc.lines.filter((l) => l.startsWith('{')).map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return {};
    }
  });

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const files = quick ? 10_000 : 100_000;
  const idleMs = quick ? 10_000 : 60_000;
  const ws = await tmpWorkspace(false);
  let hub: BenchHub | undefined;
  let proxy: ThrottleProxy | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const nodeWs = path.join(ws.dir, 'n1');
    const copy = path.join(nodeWs, 'sessions', SESSION);
    await makeFiles(copy, files);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), drift: 'repair' });
    proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: hub.grpcPort }, bytesPerSecond: Infinity });

    // Hub RSS rise while the node reports its files: from the idle hub to the peak until the manifest is stored.
    const hubIdle = sampleRss(hub.pid, 50);
    await new Promise((r) => setTimeout(r, 1_000));
    const hubIdleRss = (await hubIdle.stop()).peakRssBytes;
    const hubBusy = sampleRss(hub.pid, 50);
    const reportStarted = performance.now();
    const node = startBenchNode({ id: 'n1', workspace: nodeWs, hub: `127.0.0.1:${proxy.port}`, sessions: [SESSION], extraArgs: ['--scan-interval', '3600000', ...FETCH_ON_LINK] });
    nodes.push(node);
    await waitAttached([node], 60_000);
    await node.waitForLine(/"msg":"session copy verified"/, 900_000);
    const held = async () => (await hub!.call<{ manifests: Array<{ node: string; files: number }> }>({ op: 'status' })).manifests.find((m) => m.node === 'n1')?.files;
    await until(async () => (await held()) === files, 120_000, 200);
    const reportSeconds = (performance.now() - reportStarted) / 1000;
    const hubPeak = (await hubBusy.stop()).peakRssBytes;

    // Idle: the verification scan at attach is done once the report is stored; let the node settle, then measure.
    await new Promise((r) => setTimeout(r, 3_000));
    const cpu0 = await cpuTimeMs(node.pid);
    const t0 = performance.now();
    const nodeRss = sampleRss(node.pid, 500);
    await new Promise((r) => setTimeout(r, idleMs));
    const idleCpuPct = ((await cpuTimeMs(node.pid)) - cpu0) / (performance.now() - t0) * 100;
    const idleRss = (await nodeRss.stop()).peakRssBytes;
    const endRss = await rssNow(node.pid);

    // One file changed among them: bytes node -> hub until the hub's acknowledgement came back and things are quiet.
    const before = proxy.stats();
    await writeFile(path.join(copy, 'd3', 'e3', 'f7.txt'), 'changed once\n');
    await until(() => proxy!.stats().down > before.down, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const changeBytes = proxy.stats().up - before.up;

    // Repair: a file the mirror holds (written over one of the node's, so the copy stays at `files`), edited on the node.
    const written = await hub.call<{ outcomes: Array<{ status: string }> }>({ op: 'write', session: SESSION, path: 'd0/e0/f0.txt', content: 'mirror copy\n' });
    if (written.outcomes[0]?.status !== 'ok') throw new Error(`write not delivered: ${JSON.stringify(written.outcomes)}`);
    const target = path.join(copy, 'd0', 'e0', 'f0.txt');
    const repairs: number[] = [];
    for (let i = 0; i < 5; i++) {
      await writeFile(target, `edited by hand ${i}, longer than the mirror copy\n`);
      repairs.push(await until(async () => (await readFile(target, 'utf8').catch(() => '')) === 'mirror copy\n', 60_000, 5));
      await new Promise((r) => setTimeout(r, 300));
    }
    repairs.sort((a, b) => a - b);

    // False drift: 1,000 writes to a second node that verifies its copy every second, 4 at a time.
    const racer = startBenchNode({ id: 'n2', workspace: path.join(ws.dir, 'n2'), hub: `127.0.0.1:${hub.grpcPort}`, sessions: ['race'], extraArgs: ['--scan-interval', '1000'] });
    nodes.push(racer);
    await waitAttached([racer], 60_000);
    const writes = quick ? 200 : 1_000;
    let next = 0;
    const writer = async () => {
      while (next < writes) {
        const i = next++;
        const r = await hub!.call<{ outcomes: Array<{ status: string }> }>({ op: 'write', session: 'race', path: `w/${i % 50}/f${i}.txt`, content: `write ${i}\n` });
        if (r.outcomes[0]?.status !== 'ok') throw new Error(`write ${i} not delivered`);
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    await new Promise((r) => setTimeout(r, 3_000)); // a few more verification scans
    const status = await hub.call<{ drift: Array<{ node: string }> }>({ op: 'status' });
    const falseDrift = Math.max(
      status.drift.filter((e) => e.node === 'n2').length,
      parsed(hub.proc).filter((l) => l.event === 'drift' && l.node === 'n2').length,
    );

    const rows = [
      { measure: `node CPU idle, ${files} files`, value: `${idleCpuPct.toFixed(2)} % of a core`, target: 'under 1 %', met: idleCpuPct < 1 },
      { measure: `node RSS idle, ${files} files`, value: `peak ${(idleRss / MiB).toFixed(1)} MiB, at the end ${(endRss / MiB).toFixed(1)} MiB`, target: 'under 96 MiB', met: idleRss < 96 * MiB },
      { measure: `hub RSS rise while the node reports ${files} files`, value: `${((hubPeak - hubIdleRss) / MiB).toFixed(1)} MiB (report stored after ${reportSeconds.toFixed(1)} s)`, target: 'under 16 MiB', met: hubPeak - hubIdleRss < 16 * MiB },
      { measure: `bytes node -> hub for one file changed among ${files}`, value: `${changeBytes} B`, target: 'under 1 KiB', met: changeBytes < 1024 },
      { measure: 'one file edited on the node, repaired from the mirror', value: `median ${repairs[2].toFixed(0)} ms, max ${repairs[4].toFixed(0)} ms (5 edits)`, target: 'under 1 s', met: repairs[4] < 1000 },
      { measure: `false drift reports across ${writes} writes, node verifying every second`, value: String(falseDrift), target: '0', met: falseDrift === 0 },
    ];
    printTable(`node footprint (${quick ? 'quick' : 'full'}; disk)`, rows);
    await writeResult(name, { quick, files, idleMs, idleCpuPct, idleRssBytes: idleRss, endRssBytes: endRss, hubIdleRssBytes: hubIdleRss, hubPeakRssBytes: hubPeak, reportSeconds, changeBytes, repairsMs: repairs, writes, falseDrift });
  } catch (err) {
    // What the processes said last, for a post-mortem.
    for (const p of [hub?.proc, ...nodes]) if (p) process.stderr.write(`--- ${p.name}\n${p.lines.slice(-25).map((l) => l.slice(0, 400)).join('\n')}\n`);
    throw err;
  } finally {
    await stopMesh(nodes, hub);
    await proxy?.close();
    await ws.cleanup();
  }
}
