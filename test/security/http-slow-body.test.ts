// Attack: a client trickles its request (headers, or a body one byte a
// second) to hold a connection, a body reservation and a session slot for
// ever. The hub cuts a request that is not received within the request
// timeout; a long call whose request was received is not cut, and keeps
// streaming its answer past that timeout.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, callTool, connectClient, fileToken, startHttpHub, type HttpHub } from '../support/http-hub.js';
import { killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy.js';

/** The request timeout of the hub under test, ms (the default is 30 s). */
const REQUEST_TIMEOUT_MS = 2_000;
/** Node.js checks deadlines every quarter of the timeout; allow that and a loaded machine. */
const CUT_WITHIN_MS = REQUEST_TIMEOUT_MS * 2 + 1_000;
/** The trickle gives up after this many bytes (one a second): far past the timeout. */
const MAX_TRICKLE_BYTES = 15;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HttpHub;
let token: string;
let proxy: ThrottleProxy | undefined;

beforeAll(async () => {
  tmp = await tempDir('mesh-sec-http-slow-');
  await mkdir(path.join(tmp.dir, 'src'), { recursive: true });
  hub = await startHttpHub({
    dataDir: path.join(tmp.dir, 'hub'),
    args: ['--source-root', path.join(tmp.dir, 'src')],
    env: { MESH_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
  });
  token = await fileToken(hub.dataDir);
});

afterAll(async () => {
  await killAll();
  await proxy?.close();
  await tmp?.cleanup();
});

interface Trickled {
  /** ms from the first byte sent until the server closed the connection; undefined if it never did. */
  closedAfterMs: number | undefined;
  response: string;
}

/**
 * Open a raw connection, send `head` then `rest` one byte a second, and
 * report when the server closed it (at most MAX_TRICKLE_BYTES seconds).
 */
function trickle(url: string, head: string, rest: string): Promise<Trickled> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    const started = Date.now();
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedAfterMs: number | undefined) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ closedAfterMs, response });
    };
    socket.setEncoding('utf8').on('data', (d: string) => (response += d));
    socket.once('close', () => finish(Date.now() - started));
    socket.once('error', () => {}); // a reset also counts as closed ('close' follows)
    socket.once('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= Math.min(rest.length, MAX_TRICKLE_BYTES)) return finish(undefined);
        socket.write(rest[sent++]!);
      }, 1_000);
    });
    socket.once('timeout', () => reject(new Error('unexpected socket timeout')));
  });
}

const initBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'slow', version: '1' } } });

it('cuts a body trickled one byte a second within the request timeout', async () => {
  const u = new URL(hub.url);
  const head = [
    `POST ${u.pathname} HTTP/1.1`,
    `Host: ${u.host}`,
    `Authorization: Bearer ${token}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    `Content-Length: ${initBody.length}`,
    '',
    '',
  ].join('\r\n');
  const result = await trickle(hub.url, head, initBody);
  expect(result.closedAfterMs, 'the server never closed the trickled request').toBeDefined();
  expect(result.closedAfterMs!).toBeLessThan(CUT_WITHIN_MS);
  expect(result.response).toMatch(/^HTTP\/1\.1 408 /);
});

it('cuts headers trickled one byte a second', async () => {
  const u = new URL(hub.url);
  const result = await trickle(hub.url, `POST ${u.pathname} HTTP/1.1\r\n`, `Host: ${u.host}\r\nAuthorization: Bearer ${token}\r\n`);
  expect(result.closedAfterMs, 'the server never closed the trickled headers').toBeDefined();
  expect(result.closedAfterMs!).toBeLessThan(CUT_WITHIN_MS);
});

it('lets a long push stream its answer past the request timeout', async () => {
  const content = randomBytes(1024 * 1024);
  await writeFile(path.join(tmp.dir, 'src', 'slow.bin'), content);
  // 1 MiB at 256 KiB/s: the push answers about 4 s after its request was received.
  proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: hub.grpcPort }, bytesPerSecond: 256 * 1024 });
  // The proxy is the node's whole link: its Fetch streams stay on the main connection (MESH_HUB_FETCH=off).
  const node = startNodeProc({ id: 'far', workspace: path.join(tmp.dir, 'far'), hubPort: proxy.port, sessions: ['demo'], env: { MESH_HUB_FETCH: 'off' } });
  await waitAttached(node);
  const { client } = await connectClient(hub.url, bearer(token));
  const started = Date.now();
  const result = await callTool(client, 'push', { session: 'demo', source: 'slow.bin' }, 30_000);
  const tookMs = Date.now() - started;
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  expect((result.structuredContent as { outcomes: Array<{ node: string; status: string }> }).outcomes).toEqual([expect.objectContaining({ node: 'far', status: 'ok' })]);
  expect(tookMs, 'the push must outlast the request timeout to prove anything').toBeGreaterThan(REQUEST_TIMEOUT_MS * 1.5);
  await client.close();
});
