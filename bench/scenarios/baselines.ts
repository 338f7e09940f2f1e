// Figures of the baselines alone (raw grpc-js fan-out, sequential broadcast,
// rsync, the reference filesystem MCP server), measured on this machine so the
// hub scenarios can be read against them.
import path from 'node:path';
import { runFsServerLatency } from '../baselines/fs-server.js';
import { runRawGrpcFanOut } from '../baselines/raw-grpc.js';
import { runRsyncPeer } from '../baselines/rsync.js';
import { runSequentialBroadcast } from '../baselines/sequential-broadcast.js';
import { makeTestFile } from '../lib/data.js';
import { tmpWorkspace } from '../lib/proc.js';
import { mibPerSecond, printTable, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'baselines';
export const describe = 'raw grpc-js fan-out to 1/4/8, sequential broadcast, 8 rsync clients, filesystem MCP server latency';

const MiB = 1024 * 1024;

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 64 * MiB : 1024 * MiB;
  const seqBytes = quick ? 16 * MiB : 64 * MiB;
  const slowRate = quick ? 8 * MiB : 1 * MiB;
  const samples = quick ? 200 : 2000;
  const ws = await tmpWorkspace(true);
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);

    const fanOut = [];
    for (const receivers of [1, 4, 8]) {
      const r = await runRawGrpcFanOut({ file: source.path, bytes: source.bytes, receivers, workspace: ws.dir });
      fanOut.push(r);
    }
    printTable(`raw grpc-js fan-out, ${fileBytes / MiB} MiB, ${ws.tmpfs ? 'tmpfs' : 'disk'}`, fanOut.map((r) => ({
      receivers: r.receivers,
      seconds: r.seconds,
      'aggregate MiB/s': mibPerSecond(r.aggregateGoodputBytesPerSec),
      'per receiver MiB/s': mibPerSecond(r.aggregateGoodputBytesPerSec / r.receivers),
      'sender CPU s': r.senderCpuMs / 1000,
    })));

    const seqSource = await makeTestFile(path.join(ws.dir, 'seq', 'payload.bin'), seqBytes, 2);
    const seq = await runSequentialBroadcast({
      file: seqSource.path,
      bytes: seqSource.bytes,
      receivers: quick ? 4 : 8,
      workspace: ws.dir,
      slow: { index: 0, bytesPerSecond: slowRate },
    });
    printTable(`sequential broadcast, ${seqBytes / MiB} MiB, receiver 0 at ${slowRate / MiB} MiB/s`, seq.perReceiverSeconds.map((s, i) => ({
      receiver: i,
      link: i === seq.slowIndex ? `${slowRate / MiB} MiB/s` : 'loopback',
      'done after s': s,
    })));

    const rsync = await runRsyncPeer({ file: source.path, bytes: source.bytes, clients: 8, workspace: ws.dir });
    if (rsync.skipped) printTable('rsync peer', [{ skipped: rsync.reason }]);
    else printTable(`rsync daemon to 8 clients, ${fileBytes / MiB} MiB (${rsync.rsyncVersion})`, [{
      clients: rsync.clients,
      seconds: rsync.seconds,
      'aggregate MiB/s': mibPerSecond(rsync.aggregateGoodputBytesPerSec),
      'slowest client s': Math.max(...rsync.perClientSeconds),
    }]);

    const fs = await runFsServerLatency({ workspace: path.join(ws.dir, 'source'), samples });
    printTable(`@modelcontextprotocol/server-filesystem over stdio, ${samples} calls each`, [fs.read, fs.list].map((l) => ({
      tool: l.tool,
      'p50 ms': l.p50Ms,
      'p99 ms': l.p99Ms,
      'mean ms': l.meanMs,
      'max ms': l.maxMs,
    })));

    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, fileBytes, fanOut, sequential: seq, rsync, fsServer: fs });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Aggregate goodput, ${fileBytes / MiB} MiB to N receivers (loopback${ws.tmpfs ? ', tmpfs' : ''})`,
      unit: 'MiB/s',
      series: [
        ...fanOut.map((r) => ({ label: `raw grpc-js x${r.receivers}`, value: mibPerSecond(r.aggregateGoodputBytesPerSec), baseline: true })),
        ...(rsync.skipped ? [] : [{ label: `rsync x${rsync.clients}`, value: mibPerSecond(rsync.aggregateGoodputBytesPerSec), baseline: true }]),
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await ws.cleanup();
  }
}
