// Kept session roots (root-handles.ts): a read through a kept root answers
// what a read through a freshly opened root answers, whatever happened to the
// root folder since it was kept; handles are bounded and closed.
import { mkdir, mkdtemp, readdir, readlink, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDir, readRange } from '../../../src/mesh/fs/read-ops.js';
import { RootHandles } from '../../../src/mesh/fs/root-handles.js';
import { eventually } from '../../support/processes.js';

let base: string;
let n = 0;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mesh-root-handles-')));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A fresh folder holding `files` (name -> content). */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = path.join(base, `f${n++}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

/** Open handles of this process on the test's folders (other tests share the process: only ours are counted). */
async function openFds(): Promise<number> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(base)).length;
}
/** Replace the folder `root` by a new one whose a.txt holds `content`; the old folder stays at `<root>.away`. */
async function replaceRoot(root: string, content: string): Promise<void> {
  await rename(root, `${root}.away`);
  await mkdir(root);
  await writeFile(path.join(root, 'a.txt'), content);
}

const kept = async (roots: RootHandles, root: string, rel: string) => (await readRange(root, rel, 0, undefined, undefined, roots)).data.toString();
const fresh = async (root: string, rel: string) => (await readRange(root, rel)).data.toString();

describe.runIf(process.platform === 'linux')('kept roots', () => {
  it('reads and lists as a fresh root does, and keeps one handle per root', async () => {
    const root = await folder({ 'a.txt': 'A', 'b.txt': 'B' });
    const roots = new RootHandles();
    expect(await kept(roots, root, 'a.txt')).toBe('A');
    expect(await kept(roots, root, 'b.txt')).toBe('B');
    expect((await listDir(root, '.', undefined, roots)).entries.map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
    expect(roots.size).toBe(1);
    roots.close();
  });

  it('a root folder replaced by another follows the new one', async () => {
    const root = await folder({ 'a.txt': 'old' });
    const roots = new RootHandles();
    expect(await kept(roots, root, 'a.txt')).toBe('old');
    await replaceRoot(root, 'new');
    expect(await kept(roots, root, 'a.txt')).toBe('new');
    // Removed entirely: what a fresh open says.
    await rm(root, { recursive: true });
    await expect(kept(roots, root, 'a.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    roots.close();
  });

  it('the old root moved inside the new one is not read in its place', async () => {
    const root = await folder({ 'a.txt': 'old' });
    const roots = new RootHandles();
    expect(await kept(roots, root, 'a.txt')).toBe('old');
    await replaceRoot(root, 'new');
    await rename(`${root}.away`, path.join(root, 'x'));
    expect(await kept(roots, root, 'a.txt')).toBe('new');
    expect(await kept(roots, root, 'x/a.txt')).toBe('old');
    roots.close();
  });

  it('a root path that became a link answers as a fresh open of it does', async () => {
    const root = await folder({ 'a.txt': 'before' });
    const other = await folder({ 'a.txt': 'elsewhere' });
    const roots = new RootHandles();
    expect(await kept(roots, root, 'a.txt')).toBe('before');
    await rename(root, `${root}.away`);
    await symlink(other, root);
    expect(await kept(roots, root, 'a.txt')).toBe(await fresh(root, 'a.txt'));
    roots.close();
  });

  it('keeps at most `max` roots and closes every handle it opened', async () => {
    const roots = new RootHandles(2);
    const dirs = await Promise.all([1, 2, 3].map((i) => folder({ 'a.txt': String(i) })));
    for (const dir of dirs) expect(await kept(roots, dir, 'a.txt')).toBe(dir === dirs[0] ? '1' : dir === dirs[1] ? '2' : '3');
    expect(roots.size).toBe(2);
    expect(await openFds()).toBeGreaterThanOrEqual(2); // the two kept roots: the count sees them
    // Reads in flight while the root is replaced and the cache closed: each
    // reads one of the two roots or, caught mid-move as a fresh root would be,
    // is refused; none leaks a handle.
    const reads = Array.from({ length: 40 }, () => kept(roots, dirs[2]!, 'a.txt').catch((e: { code?: string }) => e.code));
    await replaceRoot(dirs[2]!, 'replaced');
    roots.close();
    for (const text of await Promise.all(reads)) expect(['3', 'replaced', 'PATH_OUTSIDE_SESSION', 'NOT_FOUND']).toContain(text);
    expect(roots.size).toBe(0);
    // Closes run off the readers' path: wait for them, bounded.
    await eventually(async () => (await openFds()) === 0 || undefined, 5_000).catch(() => {});
    expect(await openFds()).toBe(0);
  });
});
