// The operators' endpoints of a real hub process serving MCP over HTTP, with
// two real node agents: probes answer without a token, /metrics and the
// status JSON only with it; /metrics is Prometheus text and moves when a
// push runs (checked against the bytes the nodes hold on disk); every tool
// call of the session lands in <data>/audit.log, without file contents.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectClient, fileToken, startHttpHub, type HttpHub } from '../support/http-hub.js';
import { eventually, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { parsePromText } from '../support/prom-text.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HttpHub;
let base: string;
let token: string;
let client: Client;
const MiB = 1024 * 1024;

const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers });
const auth = () => ({ authorization: `Bearer ${token}` });
const metrics = async () => {
  const res = await get('/metrics', auth());
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePromText(await res.text());
};

beforeAll(async () => {
  tmp = await tempDir('mesh-ops-endpoints-');
  const source = path.join(tmp.dir, 'source');
  await mkdir(source, { recursive: true });
  hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'hub'), args: ['--source-root', source] });
  base = hub.url.replace(/\/mcp$/, '');
  token = await fileToken(hub.dataDir);
  const nodes = ['alpha', 'beta'].map((id) => startNodeProc({ id, workspace: path.join(tmp.dir, id), hubPort: hub.grpcPort, sessions: ['demo'] }));
  await Promise.all(nodes.map((n) => waitAttached(n)));
  ({ client } = await connectClient(hub.url, auth()));
});

afterAll(async () => {
  await client?.close().catch(() => {});
  await killAll();
  await tmp?.cleanup();
});

describe('probes and authorisation', () => {
  it('answers /healthz and /readyz without a token', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { store: 'ok', grpc: 'ok' } });
  });

  it('asks the bearer token for /metrics, /api/status and the page', async () => {
    for (const p of ['/metrics', '/api/status', '/']) {
      const none = await get(p);
      expect(none.status, p).toBe(401);
      expect(none.headers.get('www-authenticate'), p).toMatch(/^Bearer/);
      expect((await get(p, { authorization: 'Bearer wrong-token-wrong-token' })).status, p).toBe(401);
      expect((await get(p, auth())).status, p).toBe(200);
    }
    // The page (only) also takes the token in its address, for a browser.
    expect((await get(`/?token=${encodeURIComponent(token)}`)).status).toBe(200);
    expect((await get(`/metrics?token=${encodeURIComponent(token)}`)).status).toBe(401);
  });

  it('refuses a foreign Host (DNS rebinding) even with the token', async () => {
    const { request } = await import('node:http');
    const u = new URL(base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/api/status', headers: { host: 'evil.example', ...auth() } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe('/metrics', () => {
  it('is Prometheus text with the mesh figures', async () => {
    const m = (await eventually(async () => {
      const parsed = await metrics();
      return parsed.get('mesh_nodes_attached') === 2 ? parsed : undefined;
    }))!;
    expect(m.get('mesh_sessions')).toBe(1);
    for (const name of ['mesh_nodes_attached', 'mesh_sessions', 'mesh_transfers_running', 'mesh_event_loop_delay_seconds', 'mesh_transfer_deliveries']) expect(m.types.get(name), name).toBe('gauge');
    for (const name of ['mesh_bytes_sent_total', 'mesh_tool_calls_total', 'mesh_store_errors_total']) expect(m.types.get(name), name).toBe('counter');
    for (const name of ['mesh_chunk_fetch_seconds', 'mesh_tool_call_seconds']) expect(m.types.get(name), name).toBe('histogram');
    expect(m.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(m.get('mesh_store_errors_total')).toBe(0);
  });

  it('moves when a push runs: bytes per node, chunk latencies, tool calls', async () => {
    const size = 9 * MiB + 123; // three chunks
    await writeFile(path.join(tmp.dir, 'source', 'big.bin'), randomBytes(size)); // random: sent as it is, not compressed
    const before = await metrics();
    const result = await callTool(client, 'push', { session: 'demo', source: 'big.bin' });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    // The independent observer: both nodes hold the whole file.
    for (const id of ['alpha', 'beta']) expect((await stat(path.join(tmp.dir, id, 'sessions', 'demo', 'big.bin'))).size).toBe(size);
    const after = await metrics();
    for (const node of ['alpha', 'beta']) {
      const sent = after.get(`mesh_bytes_sent_total{node="${node}"}`) - before.get(`mesh_bytes_sent_total{node="${node}"}`);
      expect(sent, node).toBeGreaterThanOrEqual(size);
      expect(sent, node).toBeLessThan(size + MiB);
    }
    expect(after.get('mesh_chunk_fetch_seconds_count') - before.get('mesh_chunk_fetch_seconds_count')).toBeGreaterThanOrEqual(6);
    expect(after.get('mesh_tool_calls_total{tool="push",outcome="ok"}') - before.get('mesh_tool_calls_total{tool="push",outcome="ok"}')).toBe(1);
  });

  it('counts failed calls by their error code', async () => {
    const before = await metrics();
    const r = await callTool(client, 'cat', { session: 'demo', path: '../etc/passwd' });
    expect(r.isError).toBe(true);
    const after = await metrics();
    const key = [...after.samples.keys()].find((k) => k.startsWith('mesh_tool_calls_total{tool="cat",outcome="PATH_'));
    expect(key, [...after.samples.keys()].filter((k) => k.startsWith('mesh_tool_calls')).join(' ')).toBeDefined();
    expect(after.get(key!) - before.get(key!)).toBe(1);
  });
});

describe('/api/status', () => {
  it('shows nodes, sessions and what the page needs', async () => {
    const res = await get('/api/status', auth());
    const view = (await res.json()) as any;
    expect(view.nodes.map((n: any) => [n.node, n.online, n.sessions])).toEqual([
      ['alpha', true, ['demo']],
      ['beta', true, ['demo']],
    ]);
    expect(view.sessions).toEqual([{ name: 'demo', members: 2, online: 2 }]);
  });
});

describe('audit log', () => {
  it('records every tool call of a session as one JSON line, without file contents', async () => {
    const secret = `audit-secret-${randomBytes(6).toString('hex')}`;
    const calls: Array<[string, Record<string, unknown>]> = [
      ['status', {}],
      ['write', { session: 'demo', path: 'notes/a.txt', content: secret }],
      ['ls', { session: 'demo', path: 'notes' }],
      ['cat', { session: 'demo', path: 'notes/a.txt' }],
      ['cat', { session: 'demo', path: 'missing.txt' }],
    ];
    for (const [name, args] of calls) await callTool(client, name, args);
    const file = path.join(hub.dataDir, 'audit.log');
    const lines: any[] = await eventually(async () => {
      const all = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      const mine = all.slice(all.findLastIndex((l) => l.tool === 'status'));
      return mine.length >= calls.length ? mine : undefined;
    }).then((found) => found!);
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).not.toContain(secret);
    expect(lines.map((l: any) => [l.tool, l.outcome])).toEqual([
      ['status', 'ok'],
      ['write', 'ok'],
      ['ls', 'ok'],
      ['cat', 'ok'],
      ['cat', 'NOT_FOUND'],
    ]);
    const write = lines[1];
    expect(write.arguments).toMatchObject({ session: 'demo', path: 'notes/a.txt', content: `(omitted: ${secret.length} chars)` });
    expect(write.bytesIn).toBe(secret.length);
    expect(lines[3].bytesOut).toBeGreaterThanOrEqual(secret.length);
    for (const l of lines) {
      expect(l.client).toMatch(/^mesh-security-test \(http:[0-9a-f-]{36}\)$/);
      expect(Date.parse(l.time)).toBeGreaterThan(Date.now() - 120_000);
      expect(l.durationMs).toBeGreaterThanOrEqual(0);
      expect(l.requestId).toMatch(/^[0-9a-f]{16}$/);
    }
  });
});
