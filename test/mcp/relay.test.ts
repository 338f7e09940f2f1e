// Any number of hosts share one mesh: a `hub --stdio` started on a data
// folder that a live hub holds relays its MCP client to that hub (over
// Streamable HTTP: the hub's --http listener, or /mcp on the admin listener
// of a stdio-only hub). Writes through one are read through the other,
// progress and list_changed come back through the relay, and when the hub
// dies the relay answers what is pending, exits non-zero with a log line,
// and, started again, becomes the hub. Without --stdio a held folder still
// fails with HUB_ALREADY_RUNNING.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, killAll, spawnCli, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { data, killStdioHubs, startStdioHub, type StdioHub } from './mcp-hub.js';

const RELAYING = /"msg":"relaying MCP on stdio to the hub already running on this data folder"/;

let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('mesh-relay-');
});
afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

const json = (lines: string[]) => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const notifications = (h: StdioHub, method: string, from = 0) => h.received.slice(from).filter((m) => 'method' in m && m.method === method && !('id' in m));

describe('hub --stdio on a folder held by a stdio-only hub', () => {
  let dataDir: string;
  let sourceRoot: string;
  let a: StdioHub;
  let b: StdioHub;

  beforeAll(async () => {
    dataDir = path.join(tmp.dir, 'd');
    sourceRoot = path.join(tmp.dir, 'src');
    await mkdir(sourceRoot, { recursive: true });
    const grpcPort = await freePort();
    a = await startStdioHub({ dataDir, grpcPort, sourceRoot });
    const node = startNodeProc({ id: 'alpha', workspace: path.join(tmp.dir, 'alpha'), hubPort: grpcPort, sessions: ['demo'] });
    await waitAttached(node);
    await eventually(async () => data(await a.call('status')).sessions.find((s: any) => s.name === 'demo')?.members.some((m: any) => m.online));
    b = await startStdioHub({ dataDir, grpcPort: await freePort(), sourceRoot, ready: RELAYING });
  });

  it('says it relays, and to which hub (pid, address)', async () => {
    const said = json(b.lines).find((l) => l.msg === 'relaying MCP on stdio to the hub already running on this data folder');
    expect(said.hub.pid).toBe(a.pid);
    expect(said.hub.mcp).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    // It runs no hub of its own: no gRPC listener, no "hub ready".
    expect(json(b.lines).some((l) => l.msg === 'hub ready')).toBe(false);
    // Its stdout carries MCP only: no stray line reached the client's transport.
    expect(b.transportErrors).toEqual([]);
  });

  it('a write through either is read through the other; status through the relay', async () => {
    data(await b.call('write', { session: 'demo', path: 'via-b.txt', content: 'written through the relay\n' }));
    expect(data(await a.call('cat', { session: 'demo', path: 'via-b.txt' })).results[0].content).toBe('written through the relay\n');
    data(await a.call('write', { session: 'demo', path: 'via-a.txt', content: 'written through the hub\n' }));
    expect(data(await b.call('cat', { session: 'demo', path: 'via-a.txt', node: 'alpha' })).results[0].content).toBe('written through the hub\n');
    const status = data(await b.call('status'));
    expect(status.sessions.find((s: any) => s.name === 'demo').members).toEqual([expect.objectContaining({ node: 'alpha', online: true })]);
    // Both calls are the hub's: its audit log has the relayed ones too (over HTTP), once its batch is written.
    const relayedWrite = async () => {
      const text = await readFile(path.join(dataDir, 'audit.log'), 'utf8').catch(() => '');
      return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.tool === 'write' && l.arguments.path === 'via-b.txt');
    };
    await eventually(async () => (await relayedWrite()) !== undefined, 5_000);
    expect((await relayedWrite()).client).toMatch(/^mesh-test \(http:/);
  });

  it('progress notifications of a push through the relay arrive, in order, before its result', async () => {
    const content = randomBytes(9 * 1024 * 1024 + 7);
    await writeFile(path.join(sourceRoot, 'big.bin'), content);
    const seen = b.received.length;
    const r = data(await b.call('push', { session: 'demo', source: 'big.bin', dest: 'data/big.bin' }, { onprogress: () => {} }));
    expect(r.outcomes).toEqual([expect.objectContaining({ node: 'alpha', status: 'ok' })]);
    const sent = b.received.slice(seen);
    const answered = sent.findIndex((m) => 'result' in m);
    const progress = notifications(b, 'notifications/progress', seen)
      .filter((m) => sent.indexOf(m) < answered)
      .map((m) => (m as unknown as { params: { progress: number; total: number } }).params);
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    expect(progress.at(-1)).toMatchObject({ progress: content.length, total: content.length });
    expect((await readFile(path.join(tmp.dir, 'alpha', 'sessions', 'demo', 'data', 'big.bin'))).equals(content)).toBe(true);
  });

  it("the hub's list_changed reaches the relay's client on its standing stream", async () => {
    const md = '---\nname: hello\ndescription: Says hello to the mesh.\n---\n\n# Hello\n';
    data(await a.call('write', { session: 'demo', path: 'skills/hello/SKILL.md', content: md }));
    const from = b.received.length;
    data(await a.call('promote-skill', { session: 'demo', skill: 'hello' }));
    await eventually(() => notifications(b, 'notifications/resources/list_changed', from).length > 0, 10_000, 20);
    const { resources } = await b.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('skill://hello');
  });

  it('the hub dies: the relay answers its pending call, exits non-zero with a log line, and started again becomes the hub', async () => {
    // Stopped, the hub takes the call but never answers it; then it is killed.
    process.kill(a.pid, 'SIGSTOP');
    const from = b.lines.length;
    const outcome = b.call('status').then(
      () => 'answered',
      (err: Error) => err.message,
    );
    await eventually(() => b.lines.slice(from).some((l) => l.includes('"msg":"relay: request to the hub"') && l.includes('"method":"tools/call"')));
    process.kill(a.pid, 'SIGKILL');
    const started = Date.now();
    expect(await b.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Which of the two answers comes depends on whether the cut connection or the hub's exit is seen first.
    expect(await outcome).toMatch(/exited before answering|did not take the request/);
    const gone = json(b.lines).find((l) => l.msg?.startsWith('the hub this process relayed to has exited'));
    expect(gone).toMatchObject({ level: 50, code: 'HUB_UNREACHABLE', hub: { pid: a.pid } });
    expect(b.transportErrors).toEqual([]);

    // The host starts the server again: the folder is free, so it is the hub now, with everything written before.
    const again = await startStdioHub({ dataDir, grpcPort: await freePort(), sourceRoot });
    expect(data(await again.call('cat', { session: 'demo', path: 'via-b.txt' })).results[0].content).toBe('written through the relay\n');
    await again.close();
  });
});

describe('hub --stdio on a folder held by an --http hub', () => {
  it('relays to its HTTP listener; a second hub without --stdio still fails with HUB_ALREADY_RUNNING', async () => {
    const dataDir = path.join(tmp.dir, 'h');
    const first = spawnCli(['hub', '--data', dataDir, '--grpc', `127.0.0.1:${await freePort()}`, '--http', '127.0.0.1:0'], { MESH_NODE_TOKENS: 'test-token' });
    await first.waitFor(/"msg":"hub ready"/);
    const httpUrl = JSON.parse(first.lines.find((l) => l.includes('MCP serving on Streamable HTTP'))!).url as string;

    const relay = await startStdioHub({ dataDir, grpcPort: await freePort(), sourceRoot: tmp.dir, ready: RELAYING });
    expect(json(relay.lines).find((l) => l.msg?.startsWith('relaying MCP')).hub).toMatchObject({ pid: first.child.pid, mcp: httpUrl });
    expect(data(await relay.call('status')).sessions).toEqual([]);

    const second = spawnCli(['hub', '--data', dataDir, '--grpc', `127.0.0.1:${await freePort()}`, '--http', '127.0.0.1:0'], { MESH_NODE_TOKENS: 'test-token' });
    expect(await second.exited).toBe(1);
    expect(second.lines.find((l) => l.startsWith('mesh-assistant: '))).toContain('HUB_ALREADY_RUNNING');

    // A relay whose client hangs up exits 0 and leaves the hub running.
    await relay.close();
    expect(await relay.exited).toBe(0);
    expect(first.child.exitCode).toBeNull();
    await first.kill('SIGTERM');
  });
});

describe('two hub --stdio started at the same moment on a fresh folder', () => {
  it('one runs the hub, the other waits for its MCP address and relays to it', async () => {
    const dataDir = path.join(tmp.dir, 'race');
    const either = /"msg":"(hub ready|relaying MCP on stdio to the hub already running on this data folder)"/;
    const pair = await Promise.all([0, 1].map(async () => startStdioHub({ dataDir, grpcPort: await freePort(), sourceRoot: tmp.dir, ready: either })));
    const hub = pair.find((h) => h.lines.some((l) => l.includes('"msg":"hub ready"')));
    const relay = pair.find((h) => h !== hub);
    expect(hub).toBeDefined();
    expect(json(relay!.lines).find((l) => l.msg?.startsWith('relaying MCP')).hub.pid).toBe(hub!.pid);
    data(await relay!.call('write', { session: 'raced', path: 'x.txt', content: 'x' }));
    expect(data(await hub!.call('cat', { session: 'raced', path: 'x.txt' })).results[0].content).toBe('x');
    for (const h of pair) await h.close();
  });
});
