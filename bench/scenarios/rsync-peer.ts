// The tool people already use: the same file pushed to 8 node agents, against
// 8 rsync clients pulling it from one rsync daemon on loopback.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runRsyncPeer } from '../baselines/rsync.js';
import { makeTestFile } from '../lib/data.js';
import { expectAllOk, startBenchHub, startBenchNode, waitAttached, type BenchHub, type PushOutcome, stopMesh } from '../lib/mesh.js';
import { tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { mibPerSecond, printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'rsync-peer';
export const describe = 'push of 1 GiB to 8 nodes vs 8 rsync clients on one rsync daemon';

const MiB = 1024 * 1024;
const NODES = 8;

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 64 * MiB : 1024 * MiB;
  const ws = await tmpWorkspace(true);
  let hub: BenchHub | undefined;
  const nodes: BenchProcess[] = [];
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    const rsync = await runRsyncPeer({ file: source.path, bytes: source.bytes, clients: NODES, workspace: ws.dir });
    // Durable like the mesh (which fsyncs staging, every node's file and its folder).
    const rsyncFsync = await runRsyncPeer({ file: source.path, bytes: source.bytes, clients: NODES, workspace: ws.dir, fsync: true });

    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), sourceRoots: [path.dirname(source.path)] });
    for (let i = 0; i < NODES; i++) {
      nodes.push(startBenchNode({ id: `n${i}`, workspace: path.join(ws.dir, `n${i}`), hub: `127.0.0.1:${hub.grpcPort}`, sessions: ['peer'] }));
    }
    await waitAttached(nodes);
    const started = performance.now();
    const result = await hub.call<{ outcomes: PushOutcome[] }>({ op: 'push', session: 'peer', source: 'payload.bin', dest: 'big.bin' });
    const seconds = (performance.now() - started) / 1000;
    expectAllOk(result.outcomes, 'push to 8 nodes');
    await Promise.all(nodes.map((_, i) => rm(path.join(ws.dir, `n${i}`), { recursive: true, force: true })));
    const ours = (fileBytes * NODES) / seconds;

    const rows: Array<Record<string, string | number>> = [{ tool: 'push (ours)', seconds, 'aggregate MiB/s': mibPerSecond(ours), 'vs rsync': '-' }];
    if (rsync.skipped) {
      rows.push({ tool: `rsync: ${rsync.reason}`, seconds: Number.NaN, 'aggregate MiB/s': Number.NaN, 'vs rsync': 'n/a' });
    } else {
      rows.push({ tool: `rsync daemon + ${NODES} clients (${rsync.rsyncVersion})`, seconds: rsync.seconds, 'aggregate MiB/s': mibPerSecond(rsync.aggregateGoodputBytesPerSec), 'vs rsync': '1.00x' });
      rows[0]!['vs rsync'] = `${ratio(ours, rsync.aggregateGoodputBytesPerSec).toFixed(2)}x goodput`;
    }
    if (!rsyncFsync.skipped) {
      rows.push({ tool: `rsync --fsync daemon + ${NODES} clients`, seconds: rsyncFsync.seconds, 'aggregate MiB/s': mibPerSecond(rsyncFsync.aggregateGoodputBytesPerSec), 'vs rsync': `${ratio(rsyncFsync.aggregateGoodputBytesPerSec, rsync.skipped ? rsyncFsync.aggregateGoodputBytesPerSec : rsync.aggregateGoodputBytesPerSec).toFixed(2)}x goodput` });
      rows[0]!['vs rsync --fsync'] = `${ratio(ours, rsyncFsync.aggregateGoodputBytesPerSec).toFixed(2)}x goodput`;
    }
    printTable(`${fileBytes / MiB} MiB to ${NODES} receivers (${ws.tmpfs ? 'tmpfs' : 'disk'}; ours includes staging, hashing, fsync)`, rows);
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, nodes: NODES, seconds, goodputBytesPerSec: ours, rsync, rsyncFsync });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Aggregate goodput, ${fileBytes / MiB} MiB to ${NODES} receivers`,
      unit: 'MiB/s',
      series: [
        { label: `push x${NODES}`, value: mibPerSecond(ours) },
        ...(rsync.skipped ? [] : [{ label: `rsync x${NODES}`, value: mibPerSecond(rsync.aggregateGoodputBytesPerSec), baseline: true }]),
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await stopMesh(nodes, hub);
    await ws.cleanup();
  }
}
