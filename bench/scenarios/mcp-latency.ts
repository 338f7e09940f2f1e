// Round trips of our read tools through MCP, served from the hub's mirror:
// `cat` of a 4 KiB file and `ls` of a 100-entry folder, over Streamable HTTP
// and over stdio, against the reference filesystem MCP server reading and
// listing the very same files over stdio. The three servers run at once and
// are called in turns (measureInterleaved), so each ratio compares calls
// made under the same machine load.
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectFsServer, fsServerTools, writeFsServerFiles } from '../baselines/fs-server.js';
import { measureInterleaved, toolCall, type LatencyResult } from '../lib/latency.js';
import { connectHttp, connectStdioHub } from '../lib/mcp-client.js';
import { killAll, startBenchHub, type BenchHub } from '../lib/mesh.js';
import { tmpWorkspace } from '../lib/proc.js';
import { printTable, ratio, RESULTS_DIR, writeBarChartSvg, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'mcp-latency';
export const describe = 'MCP cat/ls round trips on the hub mirror (HTTP, stdio) vs the reference filesystem MCP server, called in turns';

const SESSION = 'lat';
/** Aims (issue 11): our p50 within these factors of the reference server's (which has no HTTP transport; its stdio is the base for both). */
const AIM = { stdio: 1.2, http: 2 };

export async function run({ quick }: ScenarioOptions): Promise<void> {
  const samples = quick ? 200 : 2000;
  const ws = await tmpWorkspace(true);
  // Two data folders with the same session files: a data folder serves one hub at a time.
  const httpData = path.join(ws.dir, 'hub-http');
  const stdioData = path.join(ws.dir, 'hub-stdio');
  let hub: BenchHub | undefined;
  const clients: Client[] = [];
  try {
    // The reference server serves the HTTP hub's mirror; the stdio hub gets a copy.
    const mirror = path.join(httpData, 'sessions', SESSION);
    await mkdir(mirror, { recursive: true });
    const files = await writeFsServerFiles({ workspace: mirror });
    await mkdir(path.join(stdioData, 'sessions'), { recursive: true });
    await cp(mirror, path.join(stdioData, 'sessions', SESSION), { recursive: true });
    const fsClient = await connectFsServer(mirror);
    clients.push(fsClient);
    const { readTool, listTool } = await fsServerTools(fsClient);
    hub = await startBenchHub({ dataDir: httpData, http: true });
    const httpClient = await connectHttp(hub.mcpUrl!, hub.mcpToken!);
    clients.push(httpClient);
    const stdioClient = await connectStdioHub(stdioData);
    clients.push(stdioClient);

    const cat = { session: SESSION, path: 'sample.txt' };
    const ls = { session: SESSION, path: 'listing' };
    const [fsRead, httpRead, stdioRead] = await measureInterleaved(
      [
        { label: readTool, call: toolCall(fsClient, readTool, { path: files.file }) },
        { label: 'cat', call: toolCall(httpClient, 'cat', cat) },
        { label: 'cat', call: toolCall(stdioClient, 'cat', cat) },
      ],
      samples,
    );
    const [fsList, httpList, stdioList] = await measureInterleaved(
      [
        { label: listTool, call: toolCall(fsClient, listTool, { path: files.dir }) },
        { label: 'ls', call: toolCall(httpClient, 'ls', ls) },
        { label: 'ls', call: toolCall(stdioClient, 'ls', ls) },
      ],
      samples,
    );
    // MCP `ping`: the transport's own floor, no tool involved.
    const [httpPing, stdioPing] = await measureInterleaved(
      [
        { label: 'ping', call: () => httpClient.ping() },
        { label: 'ping', call: () => stdioClient.ping() },
      ],
      samples,
    );
    const fs = { read: fsRead!, list: fsList!, fileBytes: files.fileBytes, entries: files.entries };
    const http: Record<'read' | 'list' | 'ping', LatencyResult> = { read: httpRead!, list: httpList!, ping: httpPing! };
    const stdio: Record<'read' | 'list' | 'ping', LatencyResult> = { read: stdioRead!, list: stdioList!, ping: stdioPing! };

    const rows: Array<{ server: string; op: string; r: LatencyResult; base: LatencyResult; aim?: number }> = [
      { server: 'filesystem server (stdio)', op: 'read 4 KiB', r: fs.read, base: fs.read },
      { server: 'hub, Streamable HTTP', op: 'cat 4 KiB', r: http.read, base: fs.read, aim: AIM.http },
      { server: 'hub, stdio', op: 'cat 4 KiB', r: stdio.read, base: fs.read, aim: AIM.stdio },
      { server: 'filesystem server (stdio)', op: 'list 100 entries', r: fs.list, base: fs.list },
      { server: 'hub, Streamable HTTP', op: 'ls 100 entries', r: http.list, base: fs.list, aim: AIM.http },
      { server: 'hub, stdio', op: 'ls 100 entries', r: stdio.list, base: fs.list, aim: AIM.stdio },
      // No tool at all: what the transport alone costs (the reference server has no HTTP transport).
      { server: 'hub, Streamable HTTP', op: 'ping (transport only)', r: http.ping, base: stdio.ping },
      { server: 'hub, stdio', op: 'ping (transport only)', r: stdio.ping, base: stdio.ping },
    ];
    printTable(`MCP round trips, ${samples} calls each after 20 warm-up calls, servers called in turns (${ws.tmpfs ? 'tmpfs' : 'disk'}; aim: p50 <= ${AIM.stdio}x of the filesystem server over stdio, ${AIM.http}x over HTTP)`, rows.map((x) => ({
      server: x.server,
      op: x.op,
      'p50 ms': x.r.p50Ms,
      'p99 ms': x.r.p99Ms,
      'mean ms': x.r.meanMs,
      'p50 ratio': `${ratio(x.r.p50Ms, x.base.p50Ms).toFixed(2)}x`,
      'p99 ratio': `${ratio(x.r.p99Ms, x.base.p99Ms).toFixed(2)}x`,
      aim: x.aim === undefined ? '-' : ratio(x.r.p50Ms, x.base.p50Ms) <= x.aim ? `met (${x.aim}x)` : `MISSED (${x.aim}x)`,
    })));
    const file = await writeResult(name, { quick, tmpfs: ws.tmpfs, samples, interleaved: true, aim: AIM, fsServer: fs, http, stdio });
    await writeBarChartSvg(path.join(RESULTS_DIR, `${name}.svg`), {
      title: `MCP round trip p50, ${samples} calls`,
      unit: 'ms',
      series: rows.map((x) => ({ label: `${x.op}: ${x.server}`, value: x.r.p50Ms, baseline: x.r === x.base })),
    });
    process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await hub?.stop().catch(() => {});
    await killAll([hub?.proc]);
    await ws.cleanup();
  }
}
