// Resumable SSE: the SDK client reaches the hub through a proxy that drops
// every connection in the middle of a push whose progress it streams. The
// client reconnects with Last-Event-ID; the hub replays what the dropped
// stream missed. Every event of the call's stream gets an id from the hub's
// event store, in sequence: a notification lost on the way shows up as a
// gap in the ids the client saw.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, expect, it } from 'vitest';
import { parseEventId } from '../../src/mcp/http-event-store.js';
import { bearer, fileToken, startHttpHub } from '../support/http-hub.js';
import { eventually, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy.js';
import { data } from './mcp-hub.js';

let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
const proxies: ThrottleProxy[] = [];
let client: Client | undefined;
const observers: Client[] = [];

afterAll(async () => {
  await client?.close().catch(() => {});
  await Promise.all(observers.map((o) => o.close().catch(() => {})));
  await killAll();
  await Promise.all(proxies.map((p) => p.close()));
  await tmp?.cleanup();
});

it('a stream dropped mid-push resumes with Last-Event-ID and loses no notification', async () => {
  tmp = await tempDir('mesh-mcp-resume-');
  const sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  // Five 4 MiB chunks: progress moves as each chunk is verified on the node.
  const content = randomBytes(20 * 1024 * 1024);
  await writeFile(path.join(sourceRoot, 'big.bin'), content);
  const hub = await startHttpHub({
    dataDir: path.join(tmp.dir, 'hub'),
    args: ['--source-root', sourceRoot],
    // The client reaches the hub under the proxy's address (any port of 127.0.0.1).
    env: { MESH_HTTP_ALLOWED_HOSTS: '127.0.0.1' },
  });
  // The node's link is slow, so the push streams progress for a few seconds.
  const nodeLink = await startThrottleProxy({ target: { host: '127.0.0.1', port: hub.grpcPort }, bytesPerSecond: 1024 * 1024 });
  proxies.push(nodeLink);
  // The proxy is the node's whole link: its Fetch streams stay on the main connection (MESH_HUB_FETCH=off).
  const node = startNodeProc({ id: 'alpha', workspace: path.join(tmp.dir, 'alpha'), hubPort: nodeLink.port, sessions: ['demo'], env: { MESH_HUB_FETCH: 'off' } });
  await waitAttached(node);

  const hubPort = Number(new URL(hub.url).port);
  const mcpLink = await startThrottleProxy({ target: { host: '127.0.0.1', port: hubPort }, bytesPerSecond: Infinity, listenHost: '127.0.0.1' });
  proxies.push(mcpLink);
  const url = new URL(`http://127.0.0.1:${mcpLink.port}/mcp`);
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: bearer(await fileToken(hub.dataDir)) },
    reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 1_000, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  });
  client = new Client({ name: 'mesh-resume-test', version: '1.0.0' });
  await client.connect(transport);
  await eventually(async () => data((await client!.callTool({ name: 'status' })) as CallToolResult).online.includes('alpha'));

  const observer = new Client({ name: 'mesh-resume-observer', version: '1.0.0' });
  await observer.connect(new StreamableHTTPClientTransport(new URL(hub.url), { requestInit: { headers: bearer(await fileToken(hub.dataDir)) } }));
  observers.push(observer);
  const nodeBytes = async (): Promise<number> => {
    const s = data((await observer.callTool({ name: 'status' })) as CallToolResult);
    // A finished transfer leaves the list: the node has it all.
    if (s.transfers.length === 0) return content.length;
    return s.transfers.flatMap((t: any) => t.nodes).reduce((a: number, n: any) => a + (n.state === 'done' ? content.length : n.bytes), 0);
  };

  const eventIds: string[] = [];
  const progress: Progress[] = [];
  let cutAfter = -1;
  const pushing = client.callTool({ name: 'push', arguments: { session: 'demo', source: 'big.bin' } }, undefined, {
    timeout: 120_000,
    onprogress: (p) => progress.push(p),
    onresumptiontoken: (id) => eventIds.push(id),
  }) as Promise<CallToolResult>;
  // Cut once the push is under way and well before its end (about 20 s at this rate).
  await eventually(() => progress.some((p) => p.progress > 0), 30_000, 10);
  // Pipelined staging lets a node start at once; what matters is that the push is not over yet.
  expect(progress.at(-1)!.progress).toBeLessThan(content.length);
  cutAfter = eventIds.length;
  // Drop the link and hold it down while the node verifies two more chunks, watched by a second client that
  // reaches the hub directly: the progress of those chunks happens while the caller's stream is gone.
  const bytesAtCut = await nodeBytes();
  mcpLink.setRate(0);
  mcpLink.cutConnections();
  // (Or to its end, on a machine so loaded that the first progress came late.)
  await eventually(async () => (await nodeBytes()) >= Math.min(bytesAtCut + 8 * 1024 * 1024, content.length), 60_000, 50);
  mcpLink.setRate(Infinity);
  const result = data(await pushing);
  expect(result.outcomes).toEqual([expect.objectContaining({ node: 'alpha', status: 'ok' })]);

  // The stream was cut and resumed: events (progress of the chunks verified meanwhile, the result) came after.
  expect(eventIds.length).toBeGreaterThan(cutAfter + 1);
  // One stream, ids in sequence from its first event (the priming one) to the result: none missing, none twice.
  const parsed = eventIds.map((id) => parseEventId(id)!);
  expect(new Set(parsed.map((p) => p.stream)).size).toBe(1);
  const seqs = parsed.map((p) => p.seq);
  expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  // Every id but the priming event's carried a message: progress notifications, then the result.
  expect(progress.length).toBe(eventIds.length - 2);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
  expect(progress.at(-1)).toMatchObject({ progress: content.length, total: content.length });
}, 120_000);
