// rm and mv on a real folder through checked handles: a recursive removal
// unlinks the links it finds and never empties what they point to, a path
// through a link to outside is refused, a removed folder leaves nothing a
// listing shows, and a move refuses what it must without touching anything.
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { finishRemovals, moveInside, removeInside } from '../../../src/mesh/fs/remove-move.js';

let base: string;
let root: string;
let outside: string;
const exists = (p: string) => lstat(p).then(() => true, () => false);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof MeshError ? e.code : `not a MeshError: ${String(e)}`),
  );
}

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mesh-rm-mv-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'a/b/c'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'precious.txt'), 'keep');
  await writeFile(path.join(root, 'a/file.txt'), 'f');
  await writeFile(path.join(root, 'a/b/c/deep.txt'), 'd');
  await symlink(outside, path.join(root, 'a/b/out')); // a folder link to outside, inside the folder to remove
  await symlink(path.join(outside, 'precious.txt'), path.join(root, 'a/b/c/file-link'));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('removeInside', () => {
  it('removes a folder with everything in it, unlinking links without following them', async () => {
    expect(await removeInside(root, 'a', true)).toBe(true);
    expect(await readdir(root)).toEqual([]); // no hidden trash left behind either
    expect(await readFile(path.join(outside, 'precious.txt'), 'utf8')).toBe('keep');
  });

  it('refuses a folder without recursive, the root, and paths through a link to outside', async () => {
    expect(await codeOf(removeInside(root, 'a', false))).toBe('NOT_EMPTY');
    expect(await codeOf(removeInside(root, '.', true))).toBe('PATH_INVALID');
    expect(await codeOf(removeInside(root, 'a/b/out/precious.txt', false))).toBe('PATH_OUTSIDE_SESSION');
    expect(await codeOf(removeInside(root, '../outside/precious.txt', false))).toBe('PATH_OUTSIDE_SESSION');
    expect(await exists(path.join(outside, 'precious.txt'))).toBe(true);
    expect(await exists(path.join(root, 'a/file.txt'))).toBe(true);
  });

  it('removes a link, not its target; a missing path is reported as not there', async () => {
    expect(await removeInside(root, 'a/b/out', false)).toBe(true);
    expect(await exists(path.join(root, 'a/b/out'))).toBe(false);
    expect(await exists(path.join(outside, 'precious.txt'))).toBe(true);
    expect(await removeInside(root, 'a/none.txt', false)).toBe(false);
    expect(await removeInside(root, 'none/at/all', false)).toBe(false);
  });
});

describe('moveInside', () => {
  it('renames, creating the destination folders', async () => {
    await moveInside(root, 'a/file.txt', 'x/y/moved.txt', { overwrite: false });
    expect(await readFile(path.join(root, 'x/y/moved.txt'), 'utf8')).toBe('f');
    expect(await exists(path.join(root, 'a/file.txt'))).toBe(false);
  });

  it('refuses an existing destination without overwrite, folders always, moves into itself and through links to outside', async () => {
    await writeFile(path.join(root, 'a/other.txt'), 'o');
    expect(await codeOf(moveInside(root, 'a/file.txt', 'a/other.txt', { overwrite: false }))).toBe('ALREADY_EXISTS');
    expect(await codeOf(moveInside(root, 'a/file.txt', 'a/b', { overwrite: true }))).toBe('ALREADY_EXISTS');
    expect(await codeOf(moveInside(root, 'a', 'a/b/inside', { overwrite: false }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(moveInside(root, 'a/file.txt', 'a/b/out/planted.txt', { overwrite: false }))).toBe('PATH_OUTSIDE_SESSION');
    expect(await codeOf(moveInside(root, 'a/b/out/precious.txt', 'stolen.txt', { overwrite: false }))).toBe('PATH_OUTSIDE_SESSION');
    expect(await readdir(outside)).toEqual(['precious.txt']);
    expect(await readFile(path.join(root, 'a/other.txt'), 'utf8')).toBe('o');
    await moveInside(root, 'a/file.txt', 'a/other.txt', { overwrite: true });
    expect(await readFile(path.join(root, 'a/other.txt'), 'utf8')).toBe('f');
  });

  it('a missing source is NOT_FOUND on the mirror, and nothing to do on a replay', async () => {
    expect(await codeOf(moveInside(root, 'gone.txt', 'x.txt', { overwrite: false }))).toBe('NOT_FOUND');
    await moveInside(root, 'gone.txt', 'x.txt', { overwrite: false, replay: true });
    expect(await exists(path.join(root, 'x.txt'))).toBe(false);
  });
});

describe('finishRemovals', () => {
  it('empties and removes the hidden folders an interrupted rm left, and nothing else', async () => {
    await mkdir(path.join(root, '.gone.rm-0123456789ab', 'x'), { recursive: true });
    await writeFile(path.join(root, '.gone.rm-0123456789ab', 'x', 'f.txt'), 'f');
    await symlink(outside, path.join(root, '.gone.rm-0123456789ab', 'out'));
    await mkdir(path.join(root, 'a', '.deep.rm-abcdefabcdef'), { recursive: true });
    await mkdir(path.join(root, '.mine.rm-notours'), { recursive: true });
    expect((await finishRemovals(root)).sort()).toEqual(['.gone.rm-0123456789ab', 'a/.deep.rm-abcdefabcdef']);
    expect((await readdir(root)).sort()).toEqual(['.mine.rm-notours', 'a']);
    expect(await readdir(path.join(root, 'a'))).not.toContain('.deep.rm-abcdefabcdef');
    expect(await readFile(path.join(outside, 'precious.txt'), 'utf8')).toBe('keep');
  });
});
