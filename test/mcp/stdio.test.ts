// The MCP surface end to end: the SDK client over stdio against a hub child
// process with two real node agents in session "demo". Every tool's happy
// path, and every failure path answering an isError result with its code
// while the hub keeps serving.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached, type Proc } from '../support/processes.js';
import { data, errorCode, killStdioHubs, startStdioHub, textOf, type StdioHub } from './mcp-hub.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: StdioHub;
let grpcPort: number;
let dataDir: string;
let sourceRoot: string;
const ws = (id: string) => path.join(tmp.dir, id);
const onNode = (id: string, rel: string) => path.join(ws(id), 'sessions', 'demo', rel);

beforeAll(async () => {
  tmp = await tempDir('mesh-mcp-stdio-');
  dataDir = path.join(tmp.dir, 'hub');
  sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  grpcPort = await freePort();
  hub = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  const nodes = ['alpha', 'beta'].map((id) => startNodeProc({ id, workspace: ws(id), hubPort: grpcPort, sessions: ['demo'] }));
  await Promise.all(nodes.map((n) => waitAttached(n)));
  await eventually(async () => {
    const s = data(await hub.call('status'));
    return s.sessions.find((x: any) => x.name === 'demo')?.members.filter((m: any) => m.online).length === 2;
  });
});

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

describe('tools/list', () => {
  it('lists the tools with their required fields and annotations', async () => {
    const { tools } = await hub.client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['cat', 'edit', 'find', 'grep', 'ls', 'mv', 'promote-skill', 'push', 'rm', 'status', 'write']);
    const required = (name: string) => [...(byName[name]!.inputSchema.required ?? [])].sort();
    expect(required('ls')).toEqual(['session']);
    expect(required('cat')).toEqual(['session']);
    expect(required('write')).toEqual(['content', 'path', 'session']);
    expect(required('push')).toEqual(['session', 'source']);
    expect(required('promote-skill')).toEqual(['session', 'skill']);
    expect(required('status')).toEqual([]);
    expect(required('edit')).toEqual(['edits', 'path', 'session']);
    expect(required('rm')).toEqual(['path', 'session']);
    expect(required('mv')).toEqual(['from', 'session', 'to']);
    expect(required('find')).toEqual(['pattern', 'session']);
    expect(required('grep')).toEqual(['pattern', 'session']);
    for (const name of ['ls', 'cat', 'status', 'find', 'grep']) expect(byName[name]!.annotations?.readOnlyHint, name).toBe(true);
    for (const name of ['write', 'push', 'promote-skill', 'edit', 'rm', 'mv']) {
      expect(byName[name]!.annotations?.readOnlyHint, name).toBe(false);
      expect(byName[name]!.annotations?.destructiveHint, name).toBe(true);
      expect(byName[name]!.annotations?.openWorldHint, name).toBe(true);
    }
    for (const name of ['ls', 'cat']) expect(byName[name]!.annotations?.openWorldHint, name).toBe(true);
    for (const t of tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.description!.length, t.name).toBeGreaterThan(80);
    }
  });
});

describe('happy paths', () => {
  it('write reaches every member; ls and cat read the mirror, one node, and every node', async () => {
    const w = data(await hub.call('write', { session: 'demo', path: 'notes/hello.txt', content: 'héllo mesh\n' }));
    expect(w.size).toBe(Buffer.byteLength('héllo mesh\n'));
    expect(w.outcomes.map((o: any) => [o.node, o.status])).toEqual([
      ['alpha', 'ok'],
      ['beta', 'ok'],
    ]);
    expect(await readFile(onNode('alpha', 'notes/hello.txt'), 'utf8')).toBe('héllo mesh\n');

    const mirror = data(await hub.call('ls', { session: 'demo', path: 'notes' }));
    expect(mirror.results).toHaveLength(1);
    expect(mirror.results[0]).toMatchObject({ node: 'hub', ok: true });
    expect(mirror.results[0].entries).toEqual([expect.objectContaining({ name: 'hello.txt', type: 'file', size: w.size })]);
    expect(Date.parse(mirror.results[0].entries[0].mtime)).toBeGreaterThan(0);

    const one = data(await hub.call('ls', { session: 'demo', path: 'notes', node: 'beta' }));
    expect(one.results[0]).toMatchObject({ node: 'beta', ok: true, entries: [expect.objectContaining({ name: 'hello.txt' })] });

    const every = data(await hub.call('cat', { session: 'demo', path: 'notes/hello.txt', node: '*' }));
    expect(every.results.map((r: any) => [r.node, r.ok, r.content, r.truncated])).toEqual([
      ['alpha', true, 'héllo mesh\n', false],
      ['beta', true, 'héllo mesh\n', false],
    ]);
    const fromMirror = await hub.call('cat', { session: 'demo', path: 'notes/hello.txt' });
    expect(data(fromMirror).results[0]).toMatchObject({ node: 'hub', encoding: 'utf8', content: 'héllo mesh\n', size: w.size, offset: 0 });
    expect(textOf(fromMirror)).toContain('héllo mesh');
  });

  it('cat reports truncation and the next offset; reading on from it rebuilds the file', async () => {
    const text = 'ünïcødé line\n'.repeat(25_000); // ~400 KiB, more than one default window
    data(await hub.call('write', { session: 'demo', path: 'big.txt', content: text }));
    let offset = 0;
    let out = '';
    for (let i = 0; i < 20; i++) {
      const r = data(await hub.call('cat', { session: 'demo', path: 'big.txt', node: 'alpha', offset, length: 100_001 })).results[0];
      out += r.content;
      if (!r.truncated) break;
      expect(r.nextOffset).toBe(r.offset + r.bytes);
      offset = r.nextOffset;
    }
    expect(out).toBe(text);
  });

  it('push sends a source file to every node byte for byte, with progress', async () => {
    const content = randomBytes(6 * 1024 * 1024 + 123);
    await writeFile(path.join(sourceRoot, 'big.bin'), content);
    const seen = hub.received.length;
    const r = data(await hub.call('push', { session: 'demo', source: 'big.bin', dest: 'data/big.bin' }, { onprogress: () => {} }));
    // What the hub sent before its answer, read at the transport (see mcp-hub.ts).
    const sent = hub.received.slice(seen);
    const answered = sent.findIndex((m) => 'result' in m);
    const progress = sent
      .slice(0, answered)
      .filter((m): m is Extract<typeof m, { method: string }> => 'method' in m && m.method === 'notifications/progress')
      .map((m) => m.params as { progress: number; total?: number; message?: string });
    expect(r).toMatchObject({ path: 'data/big.bin', size: content.length, chunks: 2 });
    expect(r.outcomes.map((o: any) => o.status)).toEqual(['ok', 'ok']);
    for (const id of ['alpha', 'beta']) expect((await readFile(onNode(id, 'data/big.bin'))).equals(content), id).toBe(true);
    expect((await readFile(path.join(dataDir, 'sessions', 'demo', 'data', 'big.bin'))).equals(content)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    // In bytes of the file, whatever the number of nodes, with the nodes done in the message.
    for (const p of progress) expect(p.total).toBe(content.length);
    expect(progress.at(-1)).toMatchObject({ progress: content.length, total: content.length, message: expect.stringContaining('2/2 nodes done') });
  });

  it('promote-skill moves a skill into the library, leaves a link, and serves it as a resource', async () => {
    const md = '---\nname: hello\ndescription: Says hello to the mesh.\n---\n\n# Hello\n\nGreet everyone.\n';
    data(await hub.call('write', { session: 'demo', path: 'skills/hello/SKILL.md', content: md }));
    const p = data(await hub.call('promote-skill', { session: 'demo', skill: 'hello' }));
    expect(p).toMatchObject({ name: 'hello', status: 'promoted', version: 1 });
    expect(p.deliveringTo.sort()).toEqual(['alpha', 'beta']);
    expect(await readFile(path.join(p.libraryPath, 'SKILL.md'), 'utf8')).toBe(md);
    const link = path.join(dataDir, 'sessions', 'demo', 'skills', 'hello');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(path.resolve(path.dirname(link), await readlink(link))).toBe(p.libraryPath);
    expect(data(await hub.call('promote-skill', { session: 'demo', skill: 'skills/hello' })).status).toBe('unchanged');

    const { resources } = await hub.client.listResources();
    expect(resources).toContainEqual(expect.objectContaining({ uri: 'skill://hello', name: 'hello', description: 'Says hello to the mesh.' }));
    const read = await hub.client.readResource({ uri: 'skill://hello' });
    expect(read.contents[0]).toMatchObject({ uri: 'skill://hello', mimeType: 'text/markdown', text: md });
    await expect(hub.client.readResource({ uri: 'skill://nope' })).rejects.toThrow(/SKILL_NOT_FOUND/);
  });

  it('status shows the session, its members online, and no running transfer', async () => {
    const r = await hub.call('status');
    const s = data(r);
    expect(s.sessions.find((x: any) => x.name === 'demo').members).toEqual([
      { node: 'alpha', online: true },
      { node: 'beta', online: true },
    ]);
    expect(s.online.sort()).toEqual(['alpha', 'beta']);
    expect(s.transfers).toEqual([]);
    expect(textOf(r)).toMatch(/demo: alpha, beta/);
  });
});

describe('failure paths', () => {
  it('unknown session, unknown node, traversal, absolute path', async () => {
    expect(errorCode(await hub.call('ls', { session: 'nope' }))).toBe('SESSION_NOT_FOUND');
    expect(errorCode(await hub.call('cat', { session: 'nope', path: 'a' }))).toBe('SESSION_NOT_FOUND');
    expect(errorCode(await hub.call('push', { session: 'nope', source: 'big.bin' }))).toBe('SESSION_NOT_FOUND');
    expect(errorCode(await hub.call('promote-skill', { session: 'nope', skill: 'hello' }))).toBe('SESSION_NOT_FOUND');
    const unknownNode = await hub.call('cat', { session: 'demo', path: 'notes/hello.txt', node: 'nobody' });
    expect(errorCode(unknownNode)).toBe('NODE_NOT_FOUND');
    expect(textOf(unknownNode)).toMatch(/^NODE_NOT_FOUND: .*`status`/);
    for (const [tool, args] of [
      ['cat', { path: '../x' }],
      ['cat', { path: 'notes/../../x', node: 'alpha' }],
      ['ls', { path: '..' }],
      ['write', { path: '../escape.txt', content: 'x' }],
    ] as const) {
      expect(errorCode(await hub.call(tool, { session: 'demo', ...args })), JSON.stringify(args)).toBe('PATH_OUTSIDE_SESSION');
    }
    expect(errorCode(await hub.call('cat', { session: 'demo', path: '/etc/passwd' }))).toBe('PATH_OUTSIDE_SESSION');
    expect(errorCode(await hub.call('write', { session: 'demo', path: '/tmp/escape.txt', content: 'x' }))).toBe('PATH_OUTSIDE_SESSION');
    expect(errorCode(await hub.call('push', { session: 'demo', source: '/etc/passwd' }))).toBe('SOURCE_NOT_ALLOWED');
  });

  it('a link out of the session is refused', async () => {
    await symlink('/etc', path.join(dataDir, 'sessions', 'demo', 'evil'));
    const r = await hub.call('cat', { session: 'demo', path: 'evil/passwd' });
    expect(errorCode(r)).toBe('PATH_OUTSIDE_SESSION');
    expect(textOf(r)).not.toMatch(/root:/);
    expect(errorCode(await hub.call('ls', { session: 'demo', path: 'evil' }))).toBe('PATH_OUTSIDE_SESSION');
  });

  it('oversize writes and invalid base64 are refused before anything is written', async () => {
    const big = 'a'.repeat(16 * 1024 * 1024 + 1024);
    const r = await hub.call('write', { session: 'demo', path: 'too-big.txt', content: big });
    expect(errorCode(r)).toBe('TOO_LARGE');
    const bad = await hub.call('write', { session: 'demo', path: 'bad.bin', content: 'this is not base64!', encoding: 'base64' });
    expect(errorCode(bad)).toBe('INVALID_ENCODING');
    expect(errorCode(await hub.call('cat', { session: 'demo', path: 'too-big.txt' }))).toBe('NOT_FOUND');
    expect(errorCode(await hub.call('cat', { session: 'demo', path: 'bad.bin' }))).toBe('NOT_FOUND');
  });

  it('an offline node is reported, for reads and for writes', async () => {
    const gamma: Proc = startNodeProc({ id: 'gamma', workspace: ws('gamma'), hubPort: grpcPort, sessions: ['demo'] });
    await waitAttached(gamma);
    await gamma.kill('SIGKILL');
    await eventually(async () => data(await hub.call('status')).online.includes('gamma') === false);
    expect(errorCode(await hub.call('cat', { session: 'demo', path: 'notes/hello.txt', node: 'gamma' }))).toBe('NODE_OFFLINE');
    const w = data(await hub.call('write', { session: 'demo', path: 'notes/later.txt', content: 'for later' }));
    expect(Object.fromEntries(w.outcomes.map((o: any) => [o.node, o.status]))).toEqual({ alpha: 'ok', beta: 'ok', gamma: 'offline' });
    const every = data(await hub.call('ls', { session: 'demo', path: 'notes', node: '*' }));
    expect(every.results.find((r: any) => r.node === 'gamma')).toMatchObject({ ok: false, error: { code: 'NODE_OFFLINE' } });
    expect(every.results.filter((r: any) => r.ok).map((r: any) => r.node)).toEqual(['alpha', 'beta']);
  });

  it('schema violations are isError results too, and the hub is still serving', async () => {
    const r = await hub.call('cat', { session: 'demo' });
    expect(r.isError).toBe(true);
    expect(data(await hub.call('status')).online).toContain('alpha');
  });
});

describe('stdio hygiene', () => {
  it('stdout carried only JSON-RPC, and closing the client stops the hub', async () => {
    expect(hub.transportErrors).toEqual([]);
    expect(hub.lines.length).toBeGreaterThan(0);
    for (const line of hub.lines.filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow(); // stderr: JSON logs only
    await hub.close();
    await eventually(() => {
      try {
        process.kill(hub.pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 15_000);
  });
});
