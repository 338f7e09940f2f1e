// The file tools (edit, rm, mv, find, grep) end to end, written once and run
// over each MCP transport (file-tools-stdio.test.ts, file-tools-http.test.ts):
// the SDK client against a real hub process with two real node agents,
// alpha and beta, in session "demo". What a node holds is read from its disk.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { eventually, startNodeProc, waitAttached, type Proc } from '../support/processes.js';
import { data, errorCode } from './mcp-hub.js';

export interface FileToolsHarness {
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  workspace(id: string): string;
  dataDir: string;
  grpcPort: number;
  nodes: Map<string, Proc>;
}

const SESSION = 'demo';

export const onNode = (h: FileToolsHarness, id: string, rel: string) => path.join(h.workspace(id), 'sessions', SESSION, rel);
const onMirror = (h: FileToolsHarness, rel: string) => path.join(h.dataDir, 'sessions', SESSION, rel);
const exists = (p: string) => lstat(p).then(() => true, () => false);

/** Start a node agent of session demo and wait until the hub counts it online. */
export async function startMember(h: FileToolsHarness, id: string, nth = 1): Promise<void> {
  const proc = startNodeProc({ id, workspace: h.workspace(id), hubPort: h.grpcPort, sessions: [SESSION] });
  h.nodes.set(id, proc);
  await waitAttached(proc, nth);
  await eventually(async () => data(await h.call('status', {})).sessions.find((s: any) => s.name === SESSION)?.members.some((m: any) => m.node === id && m.online));
}

async function stopMember(h: FileToolsHarness, id: string): Promise<void> {
  const proc = h.nodes.get(id)!;
  await proc.kill('SIGKILL');
  await proc.exited;
  await eventually(async () => !data(await h.call('status', {})).sessions.find((s: any) => s.name === SESSION)?.members.find((m: any) => m.node === id)?.online);
}

async function writeEverywhere(h: FileToolsHarness, rel: string, content: string): Promise<void> {
  const w = data(await h.call('write', { session: SESSION, path: rel, content }));
  expect(w.outcomes.map((o: any) => o.status)).toEqual(w.outcomes.map(() => 'ok'));
}

const statuses = (r: any) => Object.fromEntries(r.outcomes.map((o: any) => [o.node, o.status]));

export function defineFileToolScenarios(harness: () => FileToolsHarness): void {
  describe('edit', () => {
    it('replaces exact text on the mirror and every member and returns a unified diff; dryRun writes nothing', async () => {
      const h = harness();
      await writeEverywhere(h, 'e/plan.md', '# Plan\n\n- one\n- two\n- three\n');
      const dry = data(await h.call('edit', { session: SESSION, path: 'e/plan.md', edits: [{ oldText: '- two', newText: '- TWO' }], dryRun: true }));
      expect(dry.dryRun).toBe(true);
      expect(dry.diff).toContain('-- two\n+- TWO\n');
      expect(await readFile(onMirror(h, 'e/plan.md'), 'utf8')).toContain('- two');

      const r = data(await h.call('edit', { session: SESSION, path: 'e/plan.md', edits: [{ oldText: '- two', newText: '- TWO' }, { oldText: '- three\n', newText: '- three\n- four\n' }] }));
      expect(r.diff).toBe('--- a/e/plan.md\n+++ b/e/plan.md\n@@ -1,5 +1,6 @@\n # Plan\n \n - one\n-- two\n+- TWO\n - three\n+- four\n');
      expect(statuses(r)).toEqual({ alpha: 'ok', beta: 'ok' });
      const expected = '# Plan\n\n- one\n- TWO\n- three\n- four\n';
      expect(await readFile(onMirror(h, 'e/plan.md'), 'utf8')).toBe(expected);
      for (const id of ['alpha', 'beta']) expect(await readFile(onNode(h, id, 'e/plan.md'), 'utf8'), id).toBe(expected);
    });

    it('refuses a missing or ambiguous oldText by index, binary files, folders and paths outside; nothing changes', async () => {
      const h = harness();
      await writeEverywhere(h, 'e/refuse.txt', 'a b a\n');
      const call = (edits: unknown, p = 'e/refuse.txt') => h.call('edit', { session: SESSION, path: p, edits });
      const missing = await call([{ oldText: 'b', newText: 'B' }, { oldText: 'zzz', newText: 'y' }]);
      expect(errorCode(missing)).toBe('EDIT_NO_MATCH');
      expect((missing._meta as any)['mesh-assistant/error'].details.index).toBe(1);
      expect(errorCode(await call([{ oldText: 'a', newText: 'A' }]))).toBe('EDIT_AMBIGUOUS');
      expect(await readFile(onMirror(h, 'e/refuse.txt'), 'utf8')).toBe('a b a\n');
      data(await h.call('write', { session: SESSION, path: 'e/bin.dat', content: Buffer.from([1, 0, 2]).toString('base64'), encoding: 'base64' }));
      expect(errorCode(await call([{ oldText: 'x', newText: 'y' }], 'e/bin.dat'))).toBe('BINARY_CONTENT');
      expect(errorCode(await call([{ oldText: 'x', newText: 'y' }], 'e'))).toBe('NOT_A_FILE');
      expect(errorCode(await call([{ oldText: 'x', newText: 'y' }], 'e/none.txt'))).toBe('NOT_FOUND');
      expect(errorCode(await call([{ oldText: 'x', newText: 'y' }], '../etc/passwd'))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await call([]))).toBe('INVALID_ARGUMENT');
    });

    it('concurrent edits of one file never lose one another: each lands on the result of the others', async () => {
      const h = harness();
      const n = 8;
      await writeEverywhere(h, 'e/race.txt', Array.from({ length: n }, (_, i) => `slot ${i}: empty\n`).join(''));
      const results = await Promise.all(Array.from({ length: n }, (_, i) => h.call('edit', { session: SESSION, path: 'e/race.txt', edits: [{ oldText: `slot ${i}: empty`, newText: `slot ${i}: taken by ${i}` }] })));
      for (const r of results) expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      const final = Array.from({ length: n }, (_, i) => `slot ${i}: taken by ${i}\n`).join('');
      expect(await readFile(onMirror(h, 'e/race.txt'), 'utf8')).toBe(final);
      await eventually(async () => (await readFile(onNode(h, 'beta', 'e/race.txt'), 'utf8')) === final);
      // Two edits of the same text: one wins, the other sees its result and says the text is gone.
      const [x, y] = await Promise.all(['X', 'Y'].map((t) => h.call('edit', { session: SESSION, path: 'e/race.txt', edits: [{ oldText: 'slot 0: taken by 0', newText: `slot 0: ${t}` }] })));
      expect([errorCode(x!), errorCode(y!)].sort()).toEqual(['EDIT_NO_MATCH', undefined].sort());
    });
  });

  describe('rm and mv', () => {
    it('rm deletes a file and, with recursive, a folder on the mirror and every member; refuses folders without it, the root, paths outside and missing paths', async () => {
      const h = harness();
      await writeEverywhere(h, 'r/a.txt', 'a');
      await writeEverywhere(h, 'r/sub/b.txt', 'b');
      const file = data(await h.call('rm', { session: SESSION, path: 'r/a.txt' }));
      expect(statuses(file)).toEqual({ alpha: 'ok', beta: 'ok' });
      for (const p of [onMirror(h, 'r/a.txt'), onNode(h, 'alpha', 'r/a.txt'), onNode(h, 'beta', 'r/a.txt')]) expect(await exists(p), p).toBe(false);
      expect(errorCode(await h.call('rm', { session: SESSION, path: 'r/sub' }))).toBe('NOT_EMPTY');
      expect(await exists(onMirror(h, 'r/sub/b.txt'))).toBe(true);
      expect(statuses(data(await h.call('rm', { session: SESSION, path: 'r', recursive: true })))).toEqual({ alpha: 'ok', beta: 'ok' });
      for (const p of [onMirror(h, 'r'), onNode(h, 'alpha', 'r'), onNode(h, 'beta', 'r')]) expect(await exists(p), p).toBe(false);
      expect(errorCode(await h.call('rm', { session: SESSION, path: '.', recursive: true }))).toBe('PATH_INVALID');
      expect(errorCode(await h.call('rm', { session: SESSION, path: '../x' }))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await h.call('rm', { session: SESSION, path: 'r/none' }))).toBe('NOT_FOUND');
      expect(errorCode(await h.call('rm', { session: 'no-such-session', path: 'x' }))).toBe('SESSION_NOT_FOUND');
    });

    it('mv renames on the mirror and every member; refuses an existing destination unless overwrite, and never replaces a folder', async () => {
      const h = harness();
      await writeEverywhere(h, 'm/one.txt', 'one');
      await writeEverywhere(h, 'm/two.txt', 'two');
      const r = data(await h.call('mv', { session: SESSION, from: 'm/one.txt', to: 'm/deep/uno.txt' }));
      expect(statuses(r)).toEqual({ alpha: 'ok', beta: 'ok' });
      for (const root of [onMirror(h, ''), onNode(h, 'alpha', ''), onNode(h, 'beta', '')]) {
        expect(await readFile(path.join(root, 'm/deep/uno.txt'), 'utf8')).toBe('one');
        expect(await exists(path.join(root, 'm/one.txt'))).toBe(false);
      }
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'm/two.txt', to: 'm/deep/uno.txt' }))).toBe('ALREADY_EXISTS');
      expect(await readFile(onMirror(h, 'm/deep/uno.txt'), 'utf8')).toBe('one');
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'm/two.txt', to: 'm/deep', overwrite: true }))).toBe('ALREADY_EXISTS');
      expect(statuses(data(await h.call('mv', { session: SESSION, from: 'm/two.txt', to: 'm/deep/uno.txt', overwrite: true })))).toEqual({ alpha: 'ok', beta: 'ok' });
      expect(await readFile(onNode(h, 'beta', 'm/deep/uno.txt'), 'utf8')).toBe('two');
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'm/none', to: 'm/x' }))).toBe('NOT_FOUND');
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'm', to: 'm/deep/inside' }))).toBe('INVALID_ARGUMENT');
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'm/deep/uno.txt', to: '../../outside' }))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await h.call('mv', { session: SESSION, from: '.', to: 'x' }))).toBe('PATH_INVALID');
    });
  });

  describe('find and grep', () => {
    it('find matches names and paths on the mirror and on every node, with a limit and truncated', async () => {
      const h = harness();
      for (const p of ['f/a.md', 'f/b.md', 'f/deep/c.md', 'f/deep/d.txt']) await writeEverywhere(h, p, p);
      const byName = data(await h.call('find', { session: SESSION, pattern: '*.md', path: 'f' }));
      expect(byName.results[0].entries.map((e: any) => e.path)).toEqual(['f/a.md', 'f/b.md', 'f/deep/c.md']);
      const byPath = data(await h.call('find', { session: SESSION, pattern: 'f/deep/*', node: '*' }));
      expect(byPath.results.map((r: any) => [r.node, r.entries.map((e: any) => e.path)])).toEqual([
        ['alpha', ['f/deep/c.md', 'f/deep/d.txt']],
        ['beta', ['f/deep/c.md', 'f/deep/d.txt']],
      ]);
      const limited = data(await h.call('find', { session: SESSION, pattern: '**', path: 'f', limit: 2, node: 'alpha' }));
      expect(limited.results[0]).toMatchObject({ node: 'alpha', truncated: true });
      expect(limited.results[0].entries).toHaveLength(2);
      expect(errorCode(await h.call('find', { session: SESSION, pattern: '{a,b' }))).toBe('PATTERN_INVALID');
      expect(errorCode(await h.call('find', { session: SESSION, pattern: '*', path: '../..' }))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await h.call('find', { session: SESSION, pattern: '*', node: 'nobody' }))).toBe('NODE_NOT_FOUND');
    });

    it('grep returns matches with line numbers where the data is, skips binary files, bounds results, and refuses unsafe patterns cheaply', async () => {
      const h = harness();
      await writeEverywhere(h, 'g/notes.md', 'alpha line\nTODO: first\nnothing\ntodo: second\n');
      await writeEverywhere(h, 'g/code.ts', 'const x = 1; // TODO third\n');
      data(await h.call('write', { session: SESSION, path: 'g/blob.bin', content: Buffer.from('TODO\0binary').toString('base64'), encoding: 'base64' }));
      const plain = data(await h.call('grep', { session: SESSION, pattern: 'TODO', path: 'g' }));
      expect(plain.results[0].matches).toEqual([
        { path: 'g/code.ts', line: 1, text: 'const x = 1; // TODO third' },
        { path: 'g/notes.md', line: 2, text: 'TODO: first' },
      ]);
      expect(plain.results[0].binarySkipped).toBe(1);
      const every = data(await h.call('grep', { session: SESSION, pattern: 'todo', ignoreCase: true, glob: '*.md', node: '*' }));
      for (const r of every.results) expect(r.matches.map((m: any) => m.line), r.node).toEqual([2, 4]);
      const re = data(await h.call('grep', { session: SESSION, pattern: '^todo: \\w+$', regex: true, node: 'beta' }));
      expect(re.results[0].matches).toEqual([{ path: 'g/notes.md', line: 4, text: 'todo: second' }]);
      const bounded = data(await h.call('grep', { session: SESSION, pattern: 'o', path: 'g', maxResults: 1 }));
      expect(bounded.results[0]).toMatchObject({ truncated: true, matches: [expect.anything()] });
      expect(errorCode(await h.call('grep', { session: SESSION, pattern: '(a)\\1', regex: true }))).toBe('PATTERN_INVALID');
      expect(errorCode(await h.call('grep', { session: SESSION, pattern: 'x(?=y)', regex: true }))).toBe('PATTERN_INVALID');
      expect(errorCode(await h.call('grep', { session: SESSION, pattern: '([a-z', regex: true }))).toBe('PATTERN_INVALID');
      // A pattern that backtracks exponentially on a long line of "a"s finishes at once (linear-engine fallback).
      await writeEverywhere(h, 'g/aaa.txt', `${'a'.repeat(5000)}!\n`);
      const started = Date.now();
      const evil = data(await h.call('grep', { session: SESSION, pattern: '(a+)+$', regex: true, path: 'g/aaa.txt', node: '*' }));
      expect(evil.results.map((r: any) => [r.node, r.ok, r.matches.length])).toEqual([
        ['alpha', true, 0],
        ['beta', true, 0],
      ]);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  describe('cat and ls', () => {
    it('binary files come back as image content (whole images), an embedded resource (other binary), or base64 when asked', async () => {
      const h = harness();
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(300), Buffer.alloc(4)]);
      data(await h.call('write', { session: SESSION, path: 'img/pic.png', content: png.toString('base64'), encoding: 'base64' }));
      expect((await readFile(onNode(h, 'beta', 'img/pic.png'))).equals(png)).toBe(true);
      const image = await h.call('cat', { session: SESSION, path: 'img/pic.png' });
      expect(data(image).results[0]).toMatchObject({ node: 'hub', ok: true, returnedAs: 'image', mediaType: 'image/png', size: png.length });
      expect(image.content[1]).toEqual({ type: 'image', mimeType: 'image/png', data: png.toString('base64') });
      const blob = Buffer.concat([Buffer.from('\u0000\u0001binary'), randomBytes(100)]);
      data(await h.call('write', { session: SESSION, path: 'img/raw.bin', content: blob.toString('base64'), encoding: 'base64' }));
      const resource = await h.call('cat', { session: SESSION, path: 'img/raw.bin', node: 'alpha' });
      expect(data(resource).results[0]).toMatchObject({ node: 'alpha', returnedAs: 'resource', mediaType: 'application/octet-stream' });
      expect(resource.content[1]).toEqual({ type: 'resource', resource: { uri: `mesh://alpha/${SESSION}/img/raw.bin`, mimeType: 'application/octet-stream', blob: blob.toString('base64') } });
      const b64 = data(await h.call('cat', { session: SESSION, path: 'img/pic.png', node: 'alpha', encoding: 'base64' })).results[0];
      expect(b64).toMatchObject({ encoding: 'base64', mediaType: 'image/png', size: png.length });
      expect(Buffer.from(b64.content, 'base64').equals(png)).toBe(true);
      // Across every node, one image block per node.
      const every = await h.call('cat', { session: SESSION, path: 'img/pic.png', node: '*' });
      expect(data(every).results.map((r: any) => [r.node, r.returnedAs])).toEqual([
        ['alpha', 'image'],
        ['beta', 'image'],
      ]);
      expect(every.content.slice(1).map((c) => c.type)).toEqual(['image', 'image']);
    });

    it('cat paths reads several files in one call, each with its own result or error; ls depth lists a tree', async () => {
      const h = harness();
      data(await h.call('write', { session: SESSION, path: 'multi/a.txt', content: 'A' }));
      data(await h.call('write', { session: SESSION, path: 'multi/sub/b.txt', content: 'B' }));
      const r = data(await h.call('cat', { session: SESSION, paths: ['multi/a.txt', 'multi/none.txt', 'multi/sub/b.txt', '../x'] }));
      expect(r.results.map((x: any) => [x.path, x.ok, x.content ?? x.error.code])).toEqual([
        ['multi/a.txt', true, 'A'],
        ['multi/none.txt', false, 'NOT_FOUND'],
        ['multi/sub/b.txt', true, 'B'],
        ['../x', false, 'PATH_OUTSIDE_SESSION'],
      ]);
      const star = data(await h.call('cat', { session: SESSION, paths: ['multi/a.txt', 'multi/sub/b.txt'], node: '*' }));
      expect(star.results.map((x: any) => [x.node, x.path, x.content])).toEqual([
        ['alpha', 'multi/a.txt', 'A'],
        ['beta', 'multi/a.txt', 'A'],
        ['alpha', 'multi/sub/b.txt', 'B'],
        ['beta', 'multi/sub/b.txt', 'B'],
      ]);
      expect(errorCode(await h.call('cat', { session: SESSION }))).toBe('INVALID_ARGUMENT');
      expect(errorCode(await h.call('cat', { session: SESSION, path: 'multi/a.txt', paths: ['multi/a.txt'] }))).toBe('INVALID_ARGUMENT');

      for (const node of [undefined, 'beta']) {
        const tree = data(await h.call('ls', { session: SESSION, path: 'multi', depth: 2, ...(node ? { node } : {}) })).results[0];
        expect(tree.entries.map((e: any) => [e.name, e.type, e.depth]), node).toEqual([
          ['a.txt', 'file', 1],
          ['sub', 'directory', 1],
          ['sub/b.txt', 'file', 2],
        ]);
      }
      expect(errorCode(await h.call('ls', { session: SESSION, path: 'multi/a.txt', depth: 2 }))).toBe('NOT_A_DIRECTORY');
      const onFile = data(await h.call('ls', { session: SESSION, path: 'multi/a.txt', depth: 2, node: '*' }));
      expect(onFile.results.map((x: any) => x.error?.code)).toEqual(['NOT_A_DIRECTORY', 'NOT_A_DIRECTORY']);
      expect(errorCode(await h.call('ls', { session: SESSION, path: '../up', depth: 2 }))).toBe('PATH_OUTSIDE_SESSION');
      const flat = data(await h.call('ls', { session: SESSION, path: 'multi', depth: 1 })).results[0];
      expect(flat.entries.map((e: any) => e.name)).toEqual(['a.txt', 'sub']);
    });
  });

  describe('links that lead outside', () => {
    it('find, grep, rm, mv and edit never reach through a link to outside, on the mirror or on a node; rm removes the link itself', async () => {
      const h = harness();
      const outside = path.join(h.dataDir, '..', 'outside-secret');
      await mkdir(outside, { recursive: true });
      await writeFile(path.join(outside, 'secret.txt'), 'SECRET value\n');
      await writeEverywhere(h, 'lk/inside.txt', 'inside');
      for (const root of [onMirror(h, ''), onNode(h, 'alpha', ''), onNode(h, 'beta', '')]) await symlink(outside, path.join(root, 'lk/out'));

      const grepAll = data(await h.call('grep', { session: SESSION, pattern: 'SECRET', node: '*' }));
      expect(grepAll.results.map((r: any) => [r.node, r.matches.length])).toEqual([
        ['alpha', 0],
        ['beta', 0],
      ]);
      expect(data(await h.call('grep', { session: SESSION, pattern: 'SECRET' })).results[0].matches).toEqual([]);
      const through = data(await h.call('grep', { session: SESSION, pattern: 'SECRET', path: 'lk/out', node: '*' }));
      expect(through.results.map((r: any) => r.error?.code)).toEqual(['PATH_OUTSIDE_SESSION', 'PATH_OUTSIDE_SESSION']);
      expect(errorCode(await h.call('grep', { session: SESSION, pattern: 'SECRET', path: 'lk/out/secret.txt' }))).toBe('PATH_OUTSIDE_SESSION');
      const listed = data(await h.call('find', { session: SESSION, pattern: '**', path: 'lk', node: 'alpha' })).results[0].entries;
      expect(listed.map((e: any) => [e.path, e.type])).toEqual([
        ['lk/inside.txt', 'file'],
        ['lk/out', 'symlink'],
      ]);
      expect(errorCode(await h.call('rm', { session: SESSION, path: 'lk/out/secret.txt' }))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'lk/out/secret.txt', to: 'stolen.txt' }))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await h.call('mv', { session: SESSION, from: 'lk/inside.txt', to: 'lk/out/planted.txt' }))).toBe('PATH_OUTSIDE_SESSION');
      expect(errorCode(await h.call('edit', { session: SESSION, path: 'lk/out/secret.txt', edits: [{ oldText: 'SECRET', newText: 'x' }] }))).toBe('PATH_OUTSIDE_SESSION');
      expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET value\n');
      expect(await exists(path.join(outside, 'planted.txt'))).toBe(false);

      expect(statuses(data(await h.call('rm', { session: SESSION, path: 'lk/out', recursive: true })))).toEqual({ alpha: 'ok', beta: 'ok' });
      for (const root of [onMirror(h, ''), onNode(h, 'alpha', ''), onNode(h, 'beta', '')]) expect(await exists(path.join(root, 'lk/out'))).toBe(false);
      expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET value\n');
    });
  });

  describe('with a node offline', () => {
    it('find and grep with node "*" report the offline node beside the others; rm and mv reach it when it returns, and nothing comes back', async () => {
      const h = harness();
      await writeEverywhere(h, 'o/gone.txt', 'delete me');
      await writeEverywhere(h, 'o/from.txt', 'move me');
      await writeEverywhere(h, 'o/keep.txt', 'TODO keep');
      await stopMember(h, 'beta');

      const found = data(await h.call('find', { session: SESSION, pattern: 'o/*', node: '*' }));
      expect(found.results.map((r: any) => [r.node, r.ok, r.error?.code])).toEqual([
        ['alpha', true, undefined],
        ['beta', false, 'NODE_OFFLINE'],
      ]);
      const grepped = data(await h.call('grep', { session: SESSION, pattern: 'TODO keep', node: '*' }));
      expect(grepped.results.map((r: any) => [r.node, r.ok, r.error?.code])).toEqual([
        ['alpha', true, undefined],
        ['beta', false, 'NODE_OFFLINE'],
      ]);

      // While beta is away: a write it has not received yet, then rm of that file (the queued delivery must not
      // bring it back), rm of a file it holds, and a move.
      expect(statuses(data(await h.call('write', { session: SESSION, path: 'o/late.txt', content: 'never on beta' })))).toEqual({ alpha: 'ok', beta: 'offline' });
      expect(statuses(data(await h.call('rm', { session: SESSION, path: 'o/late.txt' })))).toEqual({ alpha: 'ok', beta: 'offline' });
      expect(statuses(data(await h.call('rm', { session: SESSION, path: 'o/gone.txt' })))).toEqual({ alpha: 'ok', beta: 'offline' });
      expect(statuses(data(await h.call('mv', { session: SESSION, from: 'o/from.txt', to: 'o/to/moved.txt' })))).toEqual({ alpha: 'ok', beta: 'offline' });
      expect(await exists(onNode(h, 'beta', 'o/gone.txt'))).toBe(true);

      await startMember(h, 'beta', 1);
      await eventually(async () => !(await exists(onNode(h, 'beta', 'o/gone.txt'))) && (await exists(onNode(h, 'beta', 'o/to/moved.txt'))));
      expect(await exists(onNode(h, 'beta', 'o/from.txt'))).toBe(false);
      // Drift has seen beta's manifest since (it reports after every change) and reported nothing about these paths.
      await eventually(async () => {
        const beta = data(await h.call('ls', { session: SESSION, path: 'o', node: 'beta' })).results[0];
        return beta.ok && beta.entries.map((e: any) => e.name).sort().join() === 'keep.txt,to';
      });
      const marker = 'o/after-return.txt';
      await writeEverywhere(h, marker, 'x'); // a later change: beta's next manifest comes after the replay
      await eventually(async () => exists(onNode(h, 'beta', marker)));
      const drift = data(await h.call('status', {})).drift.filter((d: any) => d.node === 'beta' && d.path.startsWith('o/'));
      expect(drift).toEqual([]);
      for (const p of ['o/late.txt', 'o/gone.txt', 'o/from.txt']) {
        expect(await exists(onNode(h, 'beta', p)), p).toBe(false);
        expect(await exists(onMirror(h, p)), p).toBe(false);
      }
      expect(await readFile(onNode(h, 'beta', 'o/to/moved.txt'), 'utf8')).toBe('move me');
      await writeFile(onNode(h, 'beta', 'unrelated.txt'), 'x').catch(() => {});
    });
  });
}
