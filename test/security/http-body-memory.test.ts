// Attack: many large request bodies at once, each under the old 32 MiB
// per-request limit, to run the hub out of memory (each was buffered and
// parsed whole: 30 of them took the hub to ~1 GiB). A body over the
// per-request maximum (24 MiB) is refused from its Content-Length before
// anything is read; bodies without one reserve that maximum in the shared
// 32 MiB budget, and past the budget a request is answered 503 before its
// body is read. Thirty 31 MiB bodies leave the hub within 64 MiB of idle;
// thirty 8 MiB `write` calls are parsed a budget's worth at a time; the hub
// keeps serving.
import { once } from 'node:events';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, callTool, connectClient, fileToken, rssBytes, startHttpHub, type HttpHub } from '../support/http-hub.js';
import { killAll, tempDir } from '../support/processes.js';

const MiB = 1024 * 1024;
const BODIES = 30;
const BODY_BYTES = 31 * MiB;
const GROWTH_LIMIT = 64 * MiB;
/**
 * Bodies that are read cost more than their bytes: the text, the parsed
 * strings, then `write` decodes and stores the content; about four times
 * the 32 MiB body budget, whatever the number of senders (without the
 * budget, thirty 8 MiB writes cost well over 500 MiB). A body's budget is
 * released when its response ends, before V8 has collected what it cost;
 * on a loaded machine V8 collects later (measured alone: +74 to +88 MiB;
 * beside two busy cores: +95 to +136 MiB), hence the room above 4x.
 */
const PARSED_GROWTH_LIMIT = 160 * MiB;
/** Pieces the client writes a body in, bytes. */
const SLICE = 1 * MiB;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HttpHub;
let auth: Record<string, string>;

beforeAll(async () => {
  tmp = await tempDir('mesh-sec-http-body-');
  hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'hub') });
  auth = bearer(await fileToken(hub.dataDir));
});

afterAll(async () => {
  await killAll();
  await tmp?.cleanup();
});

/**
 * A `tools/call` of `write` whose base64 content fills `bytes`: valid JSON,
 * valid JSON-RPC, for an open session; the costliest body to parse.
 */
function writeCallBody(bytes: number): Buffer {
  const head = Buffer.from('{"jsonrpc":"2.0","id":"r0000","method":"tools/call","params":{"name":"write","arguments":{"session":"demo","path":"big.bin","encoding":"base64","content":"');
  const tail = Buffer.from('"}}}');
  const body = Buffer.alloc(bytes, 'A');
  head.copy(body, 0);
  tail.copy(body, bytes - tail.length);
  return body;
}

interface Outcome {
  status?: number;
  error?: string;
  json?: { error?: { data?: Record<string, unknown> } };
}

/** Where the fixed-width JSON-RPC id of writeCallBody starts ("r0000"). */
const ID_OFFSET = '{"jsonrpc":"2.0","id":"'.length;
let nextId = 1;

/**
 * POST `body` in slices (with a Content-Length, or chunked), stopping as
 * soon as the server answered or closed: the answer is what counts. Each
 * request gets its own JSON-RPC id (patched into a copy of the first slice).
 */
function bigPost(headers: Record<string, string>, body: Buffer, chunked: boolean): Promise<Outcome> {
  const first = Buffer.from(body.subarray(0, SLICE));
  if (first.subarray(ID_OFFSET - 1, ID_OFFSET + 6).toString() === '"r0000"') first.write(String(nextId++ % 10_000).padStart(4, '0'), ID_OFFSET + 1);
  const u = new URL(hub.url);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(chunked ? {} : { 'content-length': String(body.length) }),
        ...headers,
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Outcome['json'];
        try {
          json = JSON.parse(text.startsWith('event:') ? text.slice(text.indexOf('data: ') + 6) : text);
        } catch {
          json = undefined;
        }
        settle({ status: res.statusCode, json });
      });
      res.on('error', () => settle({ status: res.statusCode }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered) settle({ error: err.code ?? err.message });
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timed out')));
    void (async () => {
      for (let offset = 0; offset < body.length && !answered && !req.destroyed; offset += SLICE) {
        if (!req.write(offset === 0 ? first : body.subarray(offset, offset + SLICE))) {
          await Promise.race([once(req, 'drain'), once(req, 'close')]).catch(() => {});
        }
      }
      if (!req.destroyed) req.end();
    })();
  });
}

/** Sample the hub's RSS every 20 ms while `work` runs; the largest sample, bytes. */
async function peakRssDuring<T>(work: () => Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = await rssBytes(hub.pid);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rssBytes(hub.pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const result = await work();
    return { peak, result };
  } finally {
    sampling = false;
    await sampler;
  }
}

it('30 concurrent 31 MiB bodies: the hub stays within 64 MiB of idle, refuses the excess with 503, and keeps serving', async () => {
  const { client, transport } = await connectClient(hub.url, auth);
  expect((await callTool(client, 'write', { session: 'demo', path: 'warm.txt', content: 'warm-up' })).isError).toBeFalsy();
  const headers = { ...auth, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18' };
  const body = writeCallBody(BODY_BYTES);
  const idle = await rssBytes(hub.pid);

  // With a Content-Length over the per-request maximum (24 MiB), then without one (chunked).
  const declared = await peakRssDuring(() => Promise.all(Array.from({ length: BODIES }, () => bigPost(headers, body, false))));
  const chunked = await peakRssDuring(() => Promise.all(Array.from({ length: BODIES }, () => bigPost(headers, body, true))));

  const peak = Math.max(declared.peak, chunked.peak);
  const after = await rssBytes(hub.pid);
  const report = `idle ${(idle / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, after ${(after / MiB).toFixed(1)} MiB`;
  console.info(`hub RSS under 30 concurrent 31 MiB bodies: ${report} (declared ${((declared.peak - idle) / MiB).toFixed(1)}, chunked ${((chunked.peak - idle) / MiB).toFixed(1)})`);
  expect(peak - idle, report).toBeLessThan(GROWTH_LIMIT);
  expect(after - idle, report).toBeLessThan(GROWTH_LIMIT);

  // Declared over the maximum: refused before a byte is read.
  expect(declared.result.map((o) => o.status ?? o.error), JSON.stringify(declared.result)).toEqual(Array(BODIES).fill(413));
  expect(declared.result[0]!.json?.error?.data).toMatchObject({ code: 'TOO_LARGE', limit: 'maxBodyBytes' });
  // Chunked: each reserves the per-request maximum; past the budget, 503 before a byte is read.
  const statuses = chunked.result.map((o) => o.status ?? o.error);
  const busy = chunked.result.filter((o) => o.status === 503);
  expect(busy.length, `statuses: ${statuses.join(',')}`).toBeGreaterThanOrEqual(BODIES - 2);
  expect(busy[0]!.json?.error?.data).toMatchObject({ code: 'BUSY', limit: 'bodyBudgetBytes' });
  // The few that fit the budget were read up to the per-request maximum, then refused.
  for (const o of chunked.result.filter((r) => r.status !== 503)) expect(o.status ?? o.error, statuses.join(',')).toBe(413);

  // Nothing crashed, the session still works, and the budget was given back.
  expect(hub.proc.child.exitCode).toBeNull();
  expect((await callTool(client, 'cat', { session: 'demo', path: 'warm.txt' })).isError).toBeFalsy();
  const small = await bigPost(headers, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' })), true);
  expect(small.status).toBe(200);
  await client.close();
});

it('30 concurrent 8 MiB write bodies (under the per-request maximum): a budget\'s worth is parsed, the rest get 503', async () => {
  const { client, transport } = await connectClient(hub.url, auth);
  const headers = { ...auth, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18' };
  const body = writeCallBody(8 * MiB);
  const idle = await rssBytes(hub.pid);
  const { peak, result } = await peakRssDuring(() => Promise.all(Array.from({ length: BODIES }, () => bigPost(headers, body, false))));
  const after = await rssBytes(hub.pid);
  const report = `idle ${(idle / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, after ${(after / MiB).toFixed(1)} MiB`;
  console.info(`hub RSS under 30 concurrent 8 MiB write bodies: ${report}`);
  expect(Math.max(peak, after) - idle, report).toBeLessThan(PARSED_GROWTH_LIMIT);
  const statuses = result.map((o) => o.status ?? o.error);
  // 32 MiB of budget holds four of them at once; the others are refused before they are read.
  expect(statuses.filter((s) => s === 200).length, statuses.join(',')).toBeGreaterThanOrEqual(4);
  expect(statuses.filter((s) => s === 503).length, statuses.join(',')).toBeGreaterThanOrEqual(BODIES - 8);
  expect(statuses.every((s) => s === 200 || s === 503), statuses.join(',')).toBe(true);
  expect((await callTool(client, 'status')).isError).toBeFalsy();
  await client.close();
});
