// Round trips of our read tools through MCP, served from the hub's mirror:
// `cat` of a 4 KiB file and `ls` of a 100-entry folder, over Streamable HTTP
// and over stdio, against the reference filesystem MCP server reading and
// listing the very same files over stdio.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { runFsServerLatency } from '../baselines/fs-server.js';
import { measureToolLatency, summarizeMs, type LatencyResult } from '../lib/latency.js';
import { connectHttp, connectStdioHub } from '../lib/mcp-client.js';
import { killAll, startBenchHub, type BenchHub } from '../lib/mesh.js';
import { tmpWorkspace } from '../lib/proc.js';
import { printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'mcp-latency';
export const describe = 'MCP cat/ls round trips on the hub mirror (HTTP, stdio) vs the reference filesystem MCP server';

const SESSION = 'lat';
/** Aim: our p50 within this factor of the reference server's. */
const AIM = 1.2;

/** MCP `ping` round trips: the transport's own floor, no tool involved. */
async function measurePing(client: Client, samples: number): Promise<LatencyResult> {
  for (let i = 0; i < 20; i++) await client.ping();
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await client.ping();
    ms.push(performance.now() - started);
  }
  return summarizeMs('ping', ms);
}

async function measureHub(client: Client, samples: number): Promise<{ read: LatencyResult; list: LatencyResult; ping: LatencyResult }> {
  const read = await measureToolLatency(client, 'cat', { session: SESSION, path: 'sample.txt' }, samples);
  const list = await measureToolLatency(client, 'ls', { session: SESSION, path: 'listing' }, samples);
  const ping = await measurePing(client, samples);
  return { read, list, ping };
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const samples = quick ? 200 : 2000;
  const ws = await tmpWorkspace(true);
  const dataDir = path.join(ws.dir, 'hub');
  let hub: BenchHub | undefined;
  let client: Client | undefined;
  try {
    // The reference server creates the sample file and folder in what becomes the session mirror.
    const mirror = path.join(dataDir, 'sessions', SESSION);
    await mkdir(mirror, { recursive: true });
    const fs = await runFsServerLatency({ workspace: mirror, samples });
    hub = await startBenchHub({ dataDir, http: true });
    client = await connectHttp(hub.mcpUrl!, hub.mcpToken!);
    const http = await measureHub(client, samples);
    await client.close();
    client = undefined;
    await hub.stop();
    hub = undefined;
    client = await connectStdioHub(dataDir);
    const stdio = await measureHub(client, samples);

    const rows = [
      { server: 'filesystem server (stdio)', op: 'read 4 KiB', r: fs.read, base: fs.read },
      { server: 'hub, Streamable HTTP', op: 'cat 4 KiB', r: http.read, base: fs.read },
      { server: 'hub, stdio', op: 'cat 4 KiB', r: stdio.read, base: fs.read },
      { server: 'filesystem server (stdio)', op: 'list 100 entries', r: fs.list, base: fs.list },
      { server: 'hub, Streamable HTTP', op: 'ls 100 entries', r: http.list, base: fs.list },
      { server: 'hub, stdio', op: 'ls 100 entries', r: stdio.list, base: fs.list },
      // No tool at all: what the transport alone costs (the reference server has no HTTP transport).
      { server: 'hub, Streamable HTTP', op: 'ping (transport only)', r: http.ping, base: stdio.ping },
      { server: 'hub, stdio', op: 'ping (transport only)', r: stdio.ping, base: stdio.ping },
    ];
    printTable(`MCP round trips, ${samples} calls each after 20 warm-up calls (${ws.tmpfs ? 'tmpfs' : 'disk'}; aim: p50 <= ${AIM}x of the filesystem server)`, rows.map((x) => ({
      server: x.server,
      op: x.op,
      'p50 ms': x.r.p50Ms,
      'p99 ms': x.r.p99Ms,
      'mean ms': x.r.meanMs,
      'p50 ratio': `${ratio(x.r.p50Ms, x.base.p50Ms).toFixed(2)}x`,
      'p99 ratio': `${ratio(x.r.p99Ms, x.base.p99Ms).toFixed(2)}x`,
      aim: x.r === x.base || x.r.tool === 'ping' ? '-' : ratio(x.r.p50Ms, x.base.p50Ms) <= AIM ? 'met' : 'MISSED',
    })));
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, samples, aim: AIM, fsServer: fs, http, stdio });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `MCP round trip p50, ${samples} calls`,
      unit: 'ms',
      series: rows.map((x) => ({ label: `${x.op}: ${x.server}`, value: x.r.p50Ms, baseline: x.r === x.base })),
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await client?.close().catch(() => {});
    await hub?.stop().catch(() => {});
    await killAll([hub?.proc]);
    await ws.cleanup();
  }
}
