// Attack: a token holder (or any local user of a hub run with
// --no-http-auth) floods `initialize` to push a genuine client's MCP session
// out of the session table. At the cap, new sessions are refused with 503
// naming the limit; no open session is evicted; bare `initialize` sessions
// expire by themselves and free their slots.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, callTool, connectClient, fileToken, initializeMessage, rawPost, startHttpHub, type RawResponse } from '../support/http-hub.js';
import { eventually, killAll, tempDir } from '../support/processes.js';

const FLOOD = 2_000;
/** Raw requests in flight at once. */
const CONCURRENCY = 32;
const MAX_SESSIONS = 256;
/** Short enough for the test to see flood sessions expire, long enough that none expires during the flood. */
const INIT_IDLE_MS = 10_000;

let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('mesh-sec-http-flood-');
});

afterAll(async () => {
  await killAll();
  await tmp?.cleanup();
});

/** Run `count` calls of `task`, at most `concurrency` at once. */
async function bounded<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

it('a flood of initialize calls gets 503 past the cap and never evicts a session in use', async () => {
  const hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'hub'), env: { MESH_HTTP_SESSION_INIT_IDLE_MS: String(INIT_IDLE_MS) } });
  const auth = bearer(await fileToken(hub.dataDir));
  const genuine = await connectClient(hub.url, auth);
  expect((await callTool(genuine.client, 'status')).isError).toBeFalsy();

  const started = Date.now();
  const flood: RawResponse[] = await bounded(FLOOD, CONCURRENCY, (i) => rawPost(hub.url, auth, initializeMessage(i)));
  const floodMs = Date.now() - started;

  // The genuine client was not evicted: its next call works on its session.
  const sessionBefore = genuine.transport.sessionId;
  const after = await callTool(genuine.client, 'write', { session: 'demo', path: 'still-here.txt', content: 'not evicted' });
  expect(after.isError).toBeFalsy();
  expect(genuine.transport.sessionId).toBe(sessionBefore);

  expect(floodMs, 'the flood must end before its sessions may expire').toBeLessThan(INIT_IDLE_MS);

  const byStatus = new Map<number, number>();
  for (const r of flood) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  expect([...byStatus.keys()].sort()).toEqual([200, 503]);
  // The genuine client holds one slot; the flood gets the rest, and no more.
  expect(byStatus.get(200)).toBe(MAX_SESSIONS - 1);
  expect(byStatus.get(503)).toBe(FLOOD - (MAX_SESSIONS - 1));
  const refused = flood.find((r) => r.status === 503)!;
  expect(refused.headers['retry-after']).toMatch(/^\d+$/);
  const error = JSON.parse(refused.body).error;
  expect(error.data).toMatchObject({ code: 'BUSY', limit: 'maxSessions', max: MAX_SESSIONS });
  expect(error.message).toMatch(/256 MCP HTTP sessions are open/);

  // The flood's sessions never got past initialize: they expire by themselves.
  const expired = /"reason":"nothing followed initialize","msg":"MCP HTTP session closed"/;
  await eventually(() => hub.proc.count(expired) >= MAX_SESSIONS - 1, INIT_IDLE_MS + 10_000, 250);
  expect((await rawPost(hub.url, auth, initializeMessage('late'))).status).toBe(200);
  // ...while the genuine client, established and within its idle limit, keeps its session.
  expect((await callTool(genuine.client, 'status')).isError).toBeFalsy();
  expect(genuine.transport.sessionId).toBe(sessionBefore);
  await genuine.client.close();
});
