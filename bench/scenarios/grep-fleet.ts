// `grep` with node "*": every node searches its own copy of the same tree,
// at the same time, and the hub gathers the answers; against `grep -rn` over
// one copy on this machine. On one shared machine the nodes' scans compete
// for the same cores, so the ratio is an upper bound of what separate
// machines would show.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectHttp } from '../lib/mcp-client.js';
import { startBenchHub, startBenchNode, stopMesh, waitAttached, type BenchHub } from '../lib/mesh.js';
import { tmpWorkspace, type BenchProcess } from '../lib/proc.js';
import { percentile, printTable, ratio, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'grep-fleet';
export const describe = 'grep over N files on each of several nodes (node "*") vs grep -rn over one copy';

const SESSION = 'grep';
const run$ = promisify(execFile);

/** N text files of about 4 KiB in 100 folders; every 50th holds the needle once. */
async function makeTree(root: string, files: number): Promise<void> {
  const line = 'the quick brown fox jumps over the lazy dog 0123456789\n';
  const body = line.repeat(75);
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `d${i % 100}`);
    if (i < 100) await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `f${i}.txt`), i % 50 === 0 ? `${body}NEEDLE here ${i}\n` : body);
  }
}

async function timeIt(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  await fn(); // warm the page cache and the code
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    ms.push(performance.now() - started);
  }
  return ms;
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const files = quick ? 1_000 : 10_000;
  const nodeCount = quick ? 2 : 4;
  const runs = quick ? 3 : 5;
  const ws = await tmpWorkspace(true);
  let hub: BenchHub | undefined;
  const nodes: BenchProcess[] = [];
  let client: Client | undefined;
  try {
    const ids = Array.from({ length: nodeCount }, (_, i) => `n${i}`);
    for (const id of ids) await makeTree(path.join(ws.dir, id, 'sessions', SESSION), files);
    const reference = path.join(ws.dir, ids[0]!, 'sessions', SESSION);
    hub = await startBenchHub({ dataDir: path.join(ws.dir, 'hub'), http: true });
    for (const id of ids) nodes.push(startBenchNode({ id, workspace: path.join(ws.dir, id), hub: `127.0.0.1:${hub.grpcPort}`, sessions: [SESSION] }));
    await waitAttached(nodes);
    client = await connectHttp(hub.mcpUrl!, hub.mcpToken!);
    const expected = files / 50;
    let last: any;
    const fleet = await timeIt(async () => {
      const r = (await client!.callTool({ name: 'grep', arguments: { session: SESSION, pattern: 'NEEDLE', node: '*', maxResults: 1000 } }, undefined, { timeout: 120_000 })) as any;
      last = r.structuredContent;
      const counts = last.results.map((x: any) => (x.ok ? x.matches.length : -1));
      if (counts.some((c: number) => c !== expected)) throw new Error(`grep found ${counts.join('/')} matches per node, expected ${expected}`);
    }, runs);
    const local = await timeIt(() => run$('grep', ['-rn', 'NEEDLE', reference], { maxBuffer: 64 * 1024 * 1024 }), runs);
    const p50 = (ms: number[]) => percentile(ms, 50);
    printTable(`grep "NEEDLE" over ${files} files (~4 KiB each) on each of ${nodeCount} nodes; ${runs} runs after one warm-up (${ws.tmpfs ? 'tmpfs' : 'disk'})`, [
      { what: `grep -rn, one copy, this machine`, 'p50 ms': p50(local), ratio: '1.00x' },
      { what: `MCP grep node "*" (${nodeCount} copies, ${nodeCount * files} files)`, 'p50 ms': p50(fleet), ratio: `${ratio(p50(fleet), p50(local)).toFixed(2)}x` },
      { what: 'per node: files, bytes scanned', 'p50 ms': '', ratio: last.results.map((x: any) => `${x.node} ${x.filesScanned}/${x.bytesScanned}`).join(', ') },
    ]);
    await writeResult(name, { quick, files, nodes: nodeCount, runs, fleetMs: fleet, grepRMs: local });
  } finally {
    await client?.close().catch(() => {});
    await stopMesh(nodes, hub);
    await ws.cleanup();
  }
}
