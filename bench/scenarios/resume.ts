// Resume after a crash: a node behind a throttled link is SIGKILLed at about
// half of a push and started again on the same workspace. It should fetch
// only what it had not verified: at most one chunk more than the missing
// part, never the whole file.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { startThrottleProxy, type ThrottleProxy } from '../../test/support/throttle-proxy.js';
import { makeTestFile, PIECE_BYTES } from '../lib/data.js';
import { FETCH_ON_LINK, killAll, startBenchHub, startBenchNode, waitAttached, waitDelivered, type BenchHub, type PushOutcome } from '../lib/mesh.js';
import { tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { formatBytes, printTable, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'resume';
export const describe = 'bytes fetched again after a node is SIGKILLed at ~50 % of a push and restarted, vs the file size';

const MiB = 1024 * 1024;
/** The hub's chunk size (4 MiB), the unit of resume. */
const CHUNK = PIECE_BYTES;
const POLL_MS = 50;

interface Status {
  transfers: Array<{ path: string; nodes: Array<{ node: string; bytes: number; sentBytes: number }> }>;
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const fileBytes = quick ? 32 * MiB : 256 * MiB;
  // Slow enough to stop the node near the middle, fast enough to stay short.
  const linkRate = quick ? 16 * MiB : 32 * MiB;
  const ws = await tmpWorkspace(true);
  let hub: BenchHub | undefined;
  let proxy: ThrottleProxy | undefined;
  let node: BenchProcess | undefined;
  try {
    const source = await makeTestFile(path.join(ws.dir, 'source', 'payload.bin'), fileBytes);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), sourceRoots: [path.dirname(source.path)] });
    proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: hub.grpcPort }, bytesPerSecond: linkRate });
    const nodeOptions = { id: 'victim', workspace: path.join(ws.dir, 'victim'), hub: `127.0.0.1:${proxy.port}`, sessions: ['resume'], extraArgs: FETCH_ON_LINK };
    node = startBenchNode(nodeOptions);
    await waitAttached([node]);

    const push = hub.send<{ outcomes: PushOutcome[] }>({ op: 'push', session: 'resume', source: 'payload.bin', dest: 'big.bin' });
    push.result.catch(() => {});
    // Poll the hub's view of the node's verified bytes until about half.
    const deadline = Date.now() + 300_000;
    let verifiedSeen = 0;
    while (Date.now() < deadline) {
      const s = await hub.call<Status>({ op: 'status' });
      verifiedSeen = s.transfers.find((t) => t.path === 'big.bin')?.nodes[0]?.bytes ?? 0;
      if (verifiedSeen >= fileBytes / 2) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (verifiedSeen < fileBytes / 2) throw new Error(`node reached only ${verifiedSeen} of ${fileBytes} bytes in 300 s`);
    await node.kill('SIGKILL');
    const linkBytesBeforeKill = proxy.stats().down;

    // What survived on the node: the part file, chunk-aligned prefix verified.
    const sessionDir = path.join(nodeOptions.workspace, 'sessions', 'resume');
    const partName = (await readdir(sessionDir)).find((n) => n.startsWith('.big.bin.part-'));
    const partBytes = partName ? (await stat(path.join(sessionDir, partName))).size : 0;
    const keptChunks = Math.floor(partBytes / CHUNK);

    // Wire bytes of the kept chunks (chunks travel raw): what crossed the
    // link beyond them before the kill was lost in flight.
    const keptWireBytes = keptChunks * CHUNK;
    const lostInFlight = Math.max(0, linkBytesBeforeKill - keptWireBytes);

    proxy.setRate(Infinity);
    node = startBenchNode(nodeOptions);
    const delivered = await waitDelivered(node, 'big.bin', 300_000);
    // The push call itself answered "offline" when the node vanished (its
    // delivery stayed pending in the store); the restarted node finished it.
    const first = (await push.result).outcomes[0]?.status;
    if (first !== 'offline' && first !== 'ok') throw new Error(`push answered ${first} for the killed node`);

    const missingBytes = fileBytes - keptChunks * CHUNK;
    const refetched = delivered.fetchedBytes - missingBytes;
    const row = {
      'file MiB': fileBytes / MiB,
      'verified at kill (hub view) MiB': verifiedSeen / MiB,
      'part file at kill MiB': partBytes / MiB,
      'resumed from chunk': delivered.resumedFromChunk,
      'fetched after restart MiB': delivered.fetchedBytes / MiB,
      'fetched again MiB': refetched / MiB,
      'lost in flight at kill (wire) MiB': lostInFlight / MiB,
      'fetched again / file': `${(refetched / fileBytes).toFixed(3)}x`,
      'fetched again / chunk': `${(refetched / CHUNK).toFixed(2)}`,
      target: refetched <= CHUNK && delivered.resumedFromChunk === keptChunks ? 'met' : 'MISSED',
    };
    printTable(`resume after SIGKILL at ~50 % (${formatBytes(fileBytes)}, link ${linkRate / MiB} MiB/s until the kill, ${ws.tmpfs ? 'tmpfs' : 'disk'}; target: at most one chunk fetched again)`, [row]);
    const file = await writeResult(name, {
      quick,
      tmpfs: ws.tmpfs,
      fileBytes,
      chunkBytes: CHUNK,
      linkBytesPerSecond: linkRate,
      verifiedAtKillHubView: verifiedSeen,
      partBytesAtKill: partBytes,
      linkBytesBeforeKill,
      resumedFromChunk: delivered.resumedFromChunk,
      fetchedBytesAfterRestart: delivered.fetchedBytes,
      refetchedBytes: refetched,
      keptWireBytes,
      lostInFlightWireBytes: lostInFlight,
    });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `Bytes fetched after a restart at ~50 % of ${formatBytes(fileBytes)}`,
      unit: 'MiB',
      series: [
        { label: 'file size (baseline)', value: fileBytes / MiB, baseline: true },
        { label: 'missing at the kill', value: missingBytes / MiB, baseline: true },
        { label: 'fetched after restart', value: delivered.fetchedBytes / MiB },
      ],
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await killAll([node]);
    await hub?.stop().catch(() => {});
    await killAll([hub?.proc]);
    await proxy?.close();
    await ws.cleanup();
  }
}
