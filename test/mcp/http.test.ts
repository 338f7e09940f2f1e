// MCP over Streamable HTTP against a real hub process: tools work through
// the SDK client (with the bearer token from <data>/http-token); requests
// with a foreign Host or Origin are refused before any tool runs; the
// bearer token is enforced; HTTP sessions are separate.
import { request } from 'node:http';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAll, spawnCli, startNodeProc, tempDir, waitAttached, type Proc } from '../support/processes.js';
import { data, errorCode } from './mcp-hub.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const clients: Client[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await killAll();
  await tmp?.cleanup();
});

async function startHttpHub(name: string, env: Record<string, string> = {}): Promise<{ hub: Proc; url: string; dataDir: string; grpcPort: number; auth: Record<string, string> }> {
  const dataDir = path.join(tmp.dir, name);
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const hub = spawnCli(['hub', '--data', dataDir, '--grpc', `127.0.0.1:${grpcPort}`, '--http', `127.0.0.1:${httpPort}`], { MESH_NODE_TOKENS: 'test-token', ...env });
  await hub.waitFor(/"msg":"hub ready"/);
  const token = env.MESH_HTTP_TOKEN || (await readFile(path.join(dataDir, 'http-token'), 'utf8')).trim();
  return { hub, url: `http://127.0.0.1:${httpPort}/mcp`, dataDir, grpcPort, auth: { authorization: `Bearer ${token}` } };
}

async function connect(url: string, headers: Record<string, string>): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'mesh-http-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  await client.listTools();
  return { client, transport };
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

/** A hand-made JSON-RPC POST, so that Host and Origin can be anything. */
function rawPost(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string; contentType?: string; sessionId?: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, contentType: res.headers['content-type'], sessionId: res.headers['mcp-session-id'] as string | undefined }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('raw request timed out')));
    req.end(JSON.stringify(body));
  });
}

const exists = (p: string) => access(p).then(() => true, () => false);

beforeAll(async () => {
  tmp = await tempDir('mesh-mcp-http-');
});

describe('hub on loopback, with its generated token', () => {
  let url: string;
  let dataDir: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    const started = await startHttpHub('open');
    ({ url, dataDir, auth } = started);
    const node = startNodeProc({ id: 'alpha', workspace: path.join(tmp.dir, 'alpha'), hubPort: started.grpcPort, sessions: ['demo'] });
    await waitAttached(node);
  });

  it('serves the tools over Streamable HTTP', async () => {
    const { client } = await connect(url, auth);
    const status = data(await call(client, 'status'));
    expect(status.sessions.map((s: any) => s.name)).toContain('demo');
    const w = data(await call(client, 'write', { session: 'demo', path: 'http.txt', content: 'over http' }));
    expect(w.outcomes).toEqual([expect.objectContaining({ node: 'alpha', status: 'ok' })]);
    expect(data(await call(client, 'cat', { session: 'demo', path: 'http.txt', node: 'alpha' })).results[0].content).toBe('over http');
    expect(errorCode(await call(client, 'cat', { session: 'demo', path: '../x' }))).toBe('PATH_OUTSIDE_SESSION');
  });

  it('refuses a foreign Host or Origin with 403, and the tool never runs', async () => {
    const { client, transport } = await connect(url, auth);
    const sessionId = transport.sessionId!;
    const writeCall = (id: number, file: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'write', arguments: { session: 'demo', path: file, content: 'pwned' } } });
    const base = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18' };

    const rebinding = await rawPost(url, { ...base, host: 'evil.example' }, writeCall(1, 'rebinding.txt'));
    expect(rebinding.status).toBe(403);
    expect(rebinding.body).toMatch(/Host/);
    const crossSite = await rawPost(url, { ...base, origin: 'http://evil.example' }, writeCall(2, 'cross-site.txt'));
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toMatch(/Origin/);
    const otherLocalPort = await rawPost(url, { ...base, origin: 'http://localhost:1' }, writeCall(3, 'other-port.txt'));
    expect(otherLocalPort.status).toBe(403);
    // A new session cannot be opened from a foreign Host either.
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    expect((await rawPost(url, { ...auth, host: 'evil.example:80' }, init)).status).toBe(403);

    for (const f of ['rebinding.txt', 'cross-site.txt', 'other-port.txt']) expect(await exists(path.join(dataDir, 'sessions', 'demo', f)), f).toBe(false);
    expect(errorCode(await call(client, 'cat', { session: 'demo', path: 'rebinding.txt' }))).toBe('NOT_FOUND');

    // The same request from an allowed origin does run.
    const allowed = await rawPost(url, { ...base, origin: new URL(url).origin }, writeCall(4, 'allowed.txt'));
    expect(allowed.status).toBe(200);
    expect(await exists(path.join(dataDir, 'sessions', 'demo', 'allowed.txt'))).toBe(true);
  });

  it('answers what finishes at once as plain JSON, and keeps an SSE stream for calls that ask nodes or want progress', async () => {
    const { client, transport } = await connect(url, auth);
    data(await call(client, 'write', { session: 'demo', path: 'plain.txt', content: 'plain answer' }));
    const sessionId = transport.sessionId!;
    const base = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18' };
    const post = (id: number, method: string, params?: Record<string, unknown>) => rawPost(url, base, { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    const tool = (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) => ({ name, arguments: args, ...(meta ? { _meta: meta } : {}) });

    const plain = [
      await post(1, 'ping'),
      await post(2, 'tools/list'),
      await post(3, 'tools/call', tool('ls', { session: 'demo' })),
      await post(4, 'tools/call', tool('cat', { session: 'demo', path: 'plain.txt', node: 'hub' })),
      await post(5, 'tools/call', tool('status', {})),
    ];
    plain.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.contentType).toBe('application/json');
      expect(r.sessionId).toBe(sessionId);
      expect(JSON.parse(r.body)).toMatchObject({ jsonrpc: '2.0', id: i + 1, result: expect.any(Object) });
    });
    expect(JSON.parse(plain[3]!.body).result.structuredContent.results[0].content).toBe('plain answer');

    const streamed = [
      await post(6, 'tools/call', tool('cat', { session: 'demo', path: 'plain.txt', node: 'alpha' })),
      await post(7, 'tools/call', tool('ls', { session: 'demo' }, { progressToken: 'p-7' })),
      await post(8, 'tools/call', tool('write', { session: 'demo', path: 'streamed.txt', content: 'x' })),
    ];
    streamed.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.contentType).toBe('text/event-stream');
      expect(r.body).toContain(`"id":${i + 6}`);
    });
    expect(streamed[0]!.body).toContain('plain answer');
  });

  it('keeps two HTTP sessions independent', async () => {
    const a = await connect(url, auth);
    const b = await connect(url, auth);
    expect(a.transport.sessionId).toBeDefined();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    data(await call(a.client, 'write', { session: 'demo', path: 'a.txt', content: 'from a' }));
    expect(data(await call(b.client, 'cat', { session: 'demo', path: 'a.txt' })).results[0].content).toBe('from a');
    // Ending one session leaves the other working, and its id is gone.
    const closedId = a.transport.sessionId!;
    await a.transport.terminateSession();
    await a.client.close();
    expect(data(await call(b.client, 'status')).online).toEqual(['alpha']);
    const stale = await rawPost(url, { ...auth, 'mcp-session-id': closedId }, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
    expect(stale.status).toBe(404);
  });

  it('answers other paths with 404 and requests without a session with 400', async () => {
    expect((await rawPost(url.replace('/mcp', '/other'), auth, {})).status).toBe(404);
    expect((await rawPost(url, auth, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).status).toBe(400);
  });
});

describe('hub with MESH_HTTP_TOKEN', () => {
  it('needs that bearer token on every request', async () => {
    const { url, dataDir } = await startHttpHub('token', { MESH_HTTP_TOKEN: 's3cret-token' });
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const none = await rawPost(url, {}, init);
    expect(none.status).toBe(401);
    expect((await rawPost(url, { authorization: 'Bearer wrong' }, init)).status).toBe(401);
    expect((await rawPost(url, { authorization: 's3cret-token' }, init)).status).toBe(401);
    await expect(connect(url, { authorization: 'Bearer nope' })).rejects.toThrow();

    const { client, transport } = await connect(url, { authorization: 'Bearer s3cret-token' });
    data(await call(client, 'write', { session: 'solo', path: 'ok.txt', content: 'authorised' }));
    expect(await exists(path.join(dataDir, 'sessions', 'solo', 'ok.txt'))).toBe(true);
    // A valid session id is not a substitute for the token.
    const write = { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'write', arguments: { session: 'solo', path: 'stolen.txt', content: 'x' } } };
    expect((await rawPost(url, { 'mcp-session-id': transport.sessionId! }, write)).status).toBe(401);
    expect(await exists(path.join(dataDir, 'sessions', 'solo', 'stolen.txt'))).toBe(false);
  });
});
