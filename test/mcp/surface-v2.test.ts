// The MCP surface beyond the six tools' happy paths, end to end, with one hub
// child process serving stdio and Streamable HTTP at once and the SDK client
// on each: promoted skills read through their session link (and other links
// still refused), every skill file as a resource, resources/list_changed,
// logging/setLevel filtering log notifications (drift; a node going offline
// and coming back during a push), source roots in `status` and push errors,
// `cat` past the end, and SDK argument errors in our error form.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, JSONRPCMessage, LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached, type Proc } from '../support/processes.js';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy.js';
import { data, errorCode, killStdioHubs, startStdioHub, textOf, type StdioHub } from './mcp-hub.js';

const TOKEN = `surface-${randomBytes(12).toString('hex')}`;
const SECRET = `SECRET-${randomBytes(6).toString('hex')}`;
const SKILL_MD = '---\nname: demo-skill\ndescription: Shows that skill files are readable.\n---\n\n# Demo\n\nRun scripts/run.sh.\n';
const RUN_SH = '#!/bin/sh\necho demo skill\n';

type Kind = 'stdio' | 'http';
interface Side {
  client: Client;
  /** Every JSON-RPC message this client received, in order, seen at its transport. */
  received: JSONRPCMessage[];
  call(name: string, args?: Record<string, unknown>, options?: RequestOptions): Promise<CallToolResult>;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: StdioHub;
let dataDir: string;
let sourceRoot: string;
let outside: string;
let grpcPort: number;
let alphaProxy: ThrottleProxy;
let beta: Proc;
const sides = {} as Record<Kind, Side>;
const ws = (id: string) => path.join(tmp.dir, id);
const mirror = (rel: string) => path.join(dataDir, 'sessions', 'demo', rel);
const onNode = (id: string, rel: string) => path.join(ws(id), 'sessions', 'demo', rel);

async function connectHttp(url: string): Promise<Side> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
  const client = new Client({ name: 'mesh-test-http', version: '1.0.0' });
  await client.connect(transport);
  const received: JSONRPCMessage[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (message) => {
    received.push(message);
    deliver(message);
  };
  await client.listTools();
  return { client, received, call: (name, args = {}, options) => client.callTool({ name, arguments: args }, undefined, options) as Promise<CallToolResult> };
}

type Notification = Extract<JSONRPCMessage, { method: string }>;
const notifications = (side: Side, method: string, from = 0): Notification[] =>
  side.received.slice(from).filter((m): m is Notification => 'method' in m && !('id' in m) && m.method === method);
const logData = (side: Side, from = 0) => notifications(side, 'notifications/message', from).map((m) => (m.params as { level: LoggingLevel; data: Record<string, any> }));

beforeAll(async () => {
  tmp = await tempDir('mesh-mcp-v2-');
  dataDir = path.join(tmp.dir, 'hub');
  sourceRoot = path.join(tmp.dir, 'src');
  outside = path.join(tmp.dir, 'outside');
  await mkdir(sourceRoot, { recursive: true });
  await mkdir(path.join(outside, 'scripts'), { recursive: true });
  await writeFile(path.join(outside, 'SKILL.md'), `${SECRET}\n`);
  await writeFile(path.join(outside, 'secret.txt'), `${SECRET}\n`);
  grpcPort = await freePort();
  const httpPort = await freePort();
  hub = await startStdioHub({ dataDir, grpcPort, sourceRoot, httpPort, env: { MESH_HTTP_TOKEN: TOKEN } });
  // alpha reaches the hub through a proxy whose rate a test can lower, so a push lasts long enough to act during it.
  alphaProxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: grpcPort }, bytesPerSecond: Infinity });
  // The proxy is alpha's whole link: its Fetch streams stay on the main connection (MESH_HUB_FETCH=off).
  const alpha = startNodeProc({ id: 'alpha', workspace: ws('alpha'), hubPort: alphaProxy.port, sessions: ['demo'], env: { MESH_HUB_FETCH: 'off' } });
  beta = startNodeProc({ id: 'beta', workspace: ws('beta'), hubPort: grpcPort, sessions: ['demo'] });
  await Promise.all([waitAttached(alpha), waitAttached(beta)]);
  sides.stdio = { client: hub.client, received: hub.received, call: hub.call };
  sides.http = await connectHttp(`http://127.0.0.1:${httpPort}/mcp`);
  await eventually(async () => data(await hub.call('status')).online.length === 2);

  data(await hub.call('write', { session: 'demo', path: 'skills/demo-skill/SKILL.md', content: SKILL_MD }));
  data(await hub.call('write', { session: 'demo', path: 'skills/demo-skill/scripts/run.sh', content: RUN_SH }));
  data(await hub.call('promote-skill', { session: 'demo', skill: 'demo-skill' }));
  // alpha installs the skill into its own library and links it in its session copy.
  await eventually(async () => (await readFile(onNode('alpha', 'skills/demo-skill/SKILL.md'), 'utf8')) === SKILL_MD);
  // Links a test may try: to a folder outside, to the library's own bookkeeping, to the library root.
  await symlink(outside, mirror('escape'));
  await symlink(path.join(dataDir, 'skills'), mirror('lib'));
  await symlink(path.join(dataDir, 'skills', '.versions'), mirror('versions'));
  await symlink(outside, onNode('alpha', 'escape'));
}, 120_000);

afterAll(async () => {
  await sides.http?.client.close().catch(() => {});
  killStdioHubs();
  await killAll();
  await alphaProxy?.close();
  await tmp?.cleanup();
});

describe.each(['stdio', 'http'] as const)('over %s', (kind) => {
  const side = () => sides[kind];

  it('status lists the source roots, and a missing push source names them (not `ls`)', async () => {
    const status = await side().call('status');
    expect(data(status).sourceRoots).toEqual([sourceRoot]);
    expect(textOf(status)).toContain(sourceRoot);
    const missing = await side().call('push', { session: 'demo', source: 'nope.bin' });
    expect(errorCode(missing)).toBe('NOT_FOUND');
    expect(textOf(missing)).toContain(sourceRoot);
    expect(textOf(missing)).not.toMatch(/`ls`/);
  });

  it('cat at or past the end of a file says EOF, on the mirror and on a node', async () => {
    const content = 'nineteen bytes long';
    data(await side().call('write', { session: 'demo', path: `eof-${kind}.txt`, content }));
    for (const [node, offset] of [[undefined, content.length], [undefined, 1_000], ['alpha', content.length]] as const) {
      const r = await side().call('cat', { session: 'demo', path: `eof-${kind}.txt`, offset, ...(node ? { node } : {}) });
      expect(data(r).results[0], `${node} ${offset}`).toMatchObject({ ok: true, eof: true, bytes: 0, size: content.length, truncated: false });
      expect(textOf(r)).toMatch(/EOF/);
      expect(textOf(r)).not.toMatch(/bytes \d+-\d+/);
    }
    const whole = data(await side().call('cat', { session: 'demo', path: `eof-${kind}.txt` }));
    expect(whole.results[0]).toMatchObject({ content, bytes: content.length });
    expect(whole.results[0].eof).toBeUndefined();
  });

  it('argument errors from the SDK come back as INVALID_ARGUMENT naming the argument', async () => {
    const negative = await side().call('cat', { session: 'demo', path: 'x', offset: -1 });
    expect(errorCode(negative)).toBe('INVALID_ARGUMENT');
    expect(textOf(negative)).toMatch(/^INVALID_ARGUMENT: invalid arguments for `cat`: `offset`: .+Fix the named argument/);
    const missing = await side().call('write', { session: 'demo', content: 'x' });
    expect(textOf(missing)).toMatch(/^INVALID_ARGUMENT: .*`path`: Required/);
    const wrongType = await side().call('write', { session: 'demo', path: 'a.txt', content: 42 });
    expect(textOf(wrongType)).toMatch(/^INVALID_ARGUMENT: .*`content`/);
    const unknown = await side().call('no-such-tool', {});
    expect(errorCode(unknown)).toBe('INVALID_ARGUMENT');
    expect(textOf(unknown)).toMatch(/no tool named "no-such-tool".*tools\/list/);
  });

  it('a promoted skill reads through its session link with cat and ls, on the mirror and on every node', async () => {
    const md = data(await side().call('cat', { session: 'demo', path: 'skills/demo-skill/SKILL.md' }));
    expect(md.results[0]).toMatchObject({ node: 'hub', ok: true, content: SKILL_MD });
    const listed = data(await side().call('ls', { session: 'demo', path: 'skills/demo-skill' }));
    // The library copy as it is, its version record (.skill.json) included.
    expect(listed.results[0].entries.map((e: any) => [e.name, e.type])).toEqual(
      expect.arrayContaining([
        ['SKILL.md', 'file'],
        ['scripts', 'directory'],
      ]),
    );
    const script = data(await side().call('cat', { session: 'demo', path: 'skills/demo-skill/scripts/run.sh', node: 'alpha' }));
    expect(script.results[0]).toMatchObject({ node: 'alpha', ok: true, content: RUN_SH });
    const every = data(await side().call('ls', { session: 'demo', path: 'skills/demo-skill/scripts', node: '*' }));
    for (const r of every.results) expect(r, r.node).toMatchObject({ ok: true, entries: [expect.objectContaining({ name: 'run.sh', type: 'file' })] });
  });

  it('links anywhere else stay refused: outside, the library root, its earlier versions', async () => {
    for (const [tool, args] of [
      ['cat', { path: 'escape/secret.txt' }],
      ['ls', { path: 'escape' }],
      ['ls', { path: 'lib' }],
      ['cat', { path: 'lib/demo-skill/SKILL.md' }],
      ['ls', { path: 'versions' }],
      ['cat', { path: 'escape/secret.txt', node: 'alpha' }],
    ] as const) {
      const r = await side().call(tool, { session: 'demo', ...args });
      expect(errorCode(r), JSON.stringify(args)).toBe('PATH_OUTSIDE_SESSION');
      expect(textOf(r)).not.toContain(SECRET);
    }
  });

  it('every file of a skill is a resource, listed and read', async () => {
    const { resourceTemplates } = await side().client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(expect.arrayContaining(['skill://{name}', 'skill://{name}/{+path}']));
    const { resources } = await side().client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(expect.arrayContaining(['skill://demo-skill', 'skill://demo-skill/SKILL.md', 'skill://demo-skill/scripts/run.sh']));
    const read = await side().client.readResource({ uri: 'skill://demo-skill/scripts/run.sh' });
    expect(read.contents[0]).toMatchObject({ uri: 'skill://demo-skill/scripts/run.sh', text: RUN_SH });
    await expect(side().client.readResource({ uri: 'skill://demo-skill/nope.txt' })).rejects.toThrow(/NOT_FOUND/);
    await expect(side().client.readResource({ uri: 'skill://demo-skill/../../etc/passwd' })).rejects.toThrow();
  });

  it('a promotion sends resources/list_changed', async () => {
    const from = side().received.length;
    const name = `notify-${kind}`;
    data(await side().call('write', { session: 'demo', path: `skills/${name}/SKILL.md`, content: `---\nname: ${name}\ndescription: Tells clients the library changed.\n---\n` }));
    expect(notifications(side(), 'notifications/resources/list_changed', from)).toEqual([]);
    data(await side().call('promote-skill', { session: 'demo', skill: name }));
    await eventually(() => notifications(side(), 'notifications/resources/list_changed', from).length > 0, 10_000, 20);
    // Promoting the same content again changes nothing, and says nothing.
    const again = side().received.length;
    expect(data(await side().call('promote-skill', { session: 'demo', skill: name })).status).toBe('unchanged');
    await side().call('status');
    expect(notifications(side(), 'notifications/resources/list_changed', again)).toEqual([]);
  });

  it('logging/setLevel filters the drift notices this client gets', async () => {
    const drift = async (file: string) => {
      data(await side().call('write', { session: 'demo', path: file, content: 'mirror copy\n' }));
      const before = hub.lines.length;
      await writeFile(onNode('alpha', file), 'changed on the node\n');
      // The hub logs the drift it found (its own observer, independent of MCP); then the notice is out or not.
      await eventually(() => hub.lines.slice(before).some((l) => { const j = JSON.parse(l); return j.event === 'drift' && j.path === file; }), 20_000, 50);
      await side().client.ping(); // anything sent before the drift log line has reached the client by the pong
    };
    const heard = (file: string, from: number) => logData(side(), from).filter((p) => p.data.event === 'drift' && p.data.path === file);

    await side().client.setLoggingLevel('warning');
    let from = side().received.length;
    await drift(`drift/quiet-${kind}.txt`);
    expect(heard(`drift/quiet-${kind}.txt`, from)).toEqual([]);

    await side().client.setLoggingLevel('notice');
    from = side().received.length;
    await drift(`drift/loud-${kind}.txt`);
    await eventually(() => heard(`drift/loud-${kind}.txt`, from).length > 0, 5_000, 20);
    expect(heard(`drift/loud-${kind}.txt`, from)[0]).toMatchObject({ level: 'notice', data: { node: 'alpha', kind: 'changed', action: 'repairing' } });
    await side().client.setLoggingLevel('info');
  });

  it('a node going offline and coming back during a push is told to the caller, at the level it set', async () => {
    // stdio keeps "info": both events; HTTP asks for "warning": the offline warning only.
    const level: LoggingLevel = kind === 'stdio' ? 'info' : 'warning';
    await side().client.setLoggingLevel(level);
    const content = randomBytes(6 * 1024 * 1024);
    await writeFile(path.join(sourceRoot, `during-${kind}.bin`), content);
    alphaProxy.setRate(256 * 1024); // about 24 s for alpha: time to take beta down and up again (lifted once it is back)
    const from = side().received.length;
    const pushing = side().call('push', { session: 'demo', source: `during-${kind}.bin` }, { onprogress: () => {}, timeout: 120_000 });
    try {
      await eventually(() => notifications(side(), 'notifications/progress', from).length > 0, 20_000, 20);
      await beta.kill('SIGKILL');
      await eventually(() => logData(side(), from).some((p) => p.data.event === 'node-offline' && p.data.node === 'beta'), 20_000, 20);
      beta = startNodeProc({ id: 'beta', workspace: ws('beta'), hubPort: grpcPort, sessions: ['demo'] });
      await waitAttached(beta);
      if (level === 'info') await eventually(() => logData(side(), from).some((p) => p.data.event === 'node-back' && p.data.node === 'beta'), 20_000, 20);
    } finally {
      alphaProxy.setRate(Infinity);
    }
    const r = data(await pushing);
    expect(r.outcomes.find((o: any) => o.node === 'alpha').status).toBe('ok');
    const events = logData(side(), from).map((p) => [p.level, p.data.event, p.data.node]);
    expect(events).toContainEqual(['warning', 'node-offline', 'beta']);
    if (level === 'info') expect(events).toContainEqual(['info', 'node-back', 'beta']);
    else expect(events.filter((e) => e[1] === 'node-back')).toEqual([]);
    // Progress in bytes of the file, never bytes times nodes.
    for (const p of notifications(side(), 'notifications/progress', from)) expect((p.params as { total: number }).total).toBe(content.length);
    await side().client.setLoggingLevel('info');
  }, 120_000);
});
