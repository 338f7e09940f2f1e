// Attach storm: 1,000 lightweight node agents (one process, NodeAgent
// instances) attach to a hub; the hub is then SIGKILLed and started again on
// the same data folder and port. Measured: time until every agent has
// attached again and the hub lists all as online members, and the hub's
// resident memory per idle attached node.
import path from 'node:path';
import { killAll, startBenchHub, type BenchHub } from '../lib/mesh.js';
import { sampleRss, startTsScript, tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { printTable, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'attach-storm';
export const describe = '1,000 simulated nodes attach, hub SIGKILLed and restarted: time to re-attach and reconcile, hub RSS per idle node';

const MiB = 1024 * 1024;
const SESSION = 'storm';
/** Target: every node back and reconciled within this many seconds of the restart. */
const TARGET_S = 30;
const STORM_SCRIPT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'lib', 'storm-nodes.ts');

interface Status {
  online: string[];
  sessions: Array<{ name: string; members: Array<{ node: string; online: boolean }> }>;
}

/** Poll the hub until `count` nodes are online members of the session; returns ms waited. */
async function waitReconciled(hub: BenchHub, count: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const s = await hub.call<Status>({ op: 'status' }, 30_000);
    const members = s.sessions.find((x) => x.name === SESSION)?.members ?? [];
    if (s.online.length >= count && members.filter((m) => m.online).length >= count) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${count} nodes online after ${timeoutMs} ms`);
}

async function rssNow(pid: number): Promise<number> {
  const s = sampleRss(pid, 1_000);
  return (await s.stop()).peakRssBytes;
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const count = quick ? 200 : 1000;
  const ws = await tmpWorkspace(true);
  const dataDir = path.join(ws.dir, 'hub');
  let hub: BenchHub | undefined;
  let storm: BenchProcess | undefined;
  try {
    hub = await startBenchHub({ dataDir });
    await new Promise((r) => setTimeout(r, 1_000));
    const idleRss = await rssNow(hub.pid);

    const t0 = performance.now();
    storm = startTsScript(STORM_SCRIPT, ['--hub', `127.0.0.1:${hub.grpcPort}`, '--count', String(count), '--root', path.join(ws.dir, 'nodes'), '--session', SESSION], {
      name: 'storm',
      stdin: true,
    });
    await storm.waitForLine(/"round":1,/, 180_000);
    const firstAttachMs = performance.now() - t0;
    await waitReconciled(hub, count, 60_000);
    await new Promise((r) => setTimeout(r, 2_000)); // let the joins' store writes and GC settle
    const attachedRss = await rssNow(hub.pid);

    // Crash and restart on the same folder and port.
    await hub.proc.kill('SIGKILL');
    const killedAt = performance.now();
    hub = await startBenchHub({ dataDir, grpcPort: hub.grpcPort });
    const restartedAt = performance.now();
    await storm.waitForLine(/"round":2,/, 180_000);
    const reattachedMs = performance.now() - restartedAt;
    await waitReconciled(hub, count, 60_000);
    const reconciledMs = performance.now() - restartedAt;
    await new Promise((r) => setTimeout(r, 2_000));
    const restartedRss = await rssNow(hub.pid);

    const perNode = (attachedRss - idleRss) / count;
    printTable(`attach storm: ${count} agents in one process (one grpc-js channel shared), ${ws.tmpfs ? 'tmpfs' : 'disk'} workspaces`, [
      { figure: 'first attach of all agents, s', value: firstAttachMs / 1000, target: '-' },
      { figure: 'hub restart (spawn to ready), s', value: (restartedAt - killedAt) / 1000, target: '-' },
      { figure: 'all re-attached after restart, s', value: reattachedMs / 1000, target: '-' },
      { figure: 'all online members on the hub after restart, s', value: reconciledMs / 1000, target: reconciledMs / 1000 <= TARGET_S ? `met (<= ${TARGET_S} s)` : `MISSED (> ${TARGET_S} s)` },
      { figure: 'hub RSS idle, MiB', value: idleRss / MiB, target: '-' },
      { figure: `hub RSS with ${count} attached, MiB`, value: attachedRss / MiB, target: '-' },
      { figure: `hub RSS after restart with ${count} attached, MiB`, value: restartedRss / MiB, target: '-' },
      { figure: 'hub RSS per idle node, KiB', value: perNode / 1024, target: '-' },
    ]);
    const file = await writeResult(name, {
      quick,
      tmpfs: ws.tmpfs,
      nodes: count,
      firstAttachMs,
      hubRestartMs: restartedAt - killedAt,
      reattachedMs,
      reconciledMs,
      targetSeconds: TARGET_S,
      idleRssBytes: idleRss,
      attachedRssBytes: attachedRss,
      restartedRssBytes: restartedRss,
      rssPerNodeBytes: perNode,
    });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `${count} nodes: seconds to attach, and to re-attach after a hub crash`,
      unit: 's',
      series: [
        { label: 'first attach', value: firstAttachMs / 1000 },
        { label: 're-attached after restart', value: reattachedMs / 1000 },
        { label: 'reconciled after restart', value: reconciledMs / 1000 },
        { label: 'target', value: TARGET_S, baseline: true },
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await killAll([storm]);
    await hub?.stop().catch(() => {});
    await killAll([hub?.proc]);
    await ws.cleanup();
  }
}
