// Safe resolution on a real temp folder: links in and out, special files,
// sibling folders that share the root's name as a prefix.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { writeFileDurable } from '../../../src/mesh/fs/durable.js';
import { resolveExisting, resolveForWrite } from '../../../src/mesh/fs/resolve.js';

let base: string;
let root: string;

async function rejection(p: Promise<unknown>): Promise<MeshError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshError);
  return err as MeshError;
}

async function expectRefused(p: Promise<unknown>, code: string, rule?: string): Promise<MeshError> {
  const err = await rejection(p);
  expect(err.code).toBe(code);
  if (rule !== undefined) expect(err.details.rule).toBe(rule);
  return err;
}

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mesh-resolve-')));
  root = path.join(base, 'root');
  await mkdir(path.join(root, 'dir', 'sub'), { recursive: true });
  await mkdir(path.join(base, 'outside'));
  await mkdir(path.join(base, 'root-evil'));
  await writeFile(path.join(root, 'inside.txt'), 'inside');
  await writeFile(path.join(root, 'dir', 'sub', 'deep.txt'), 'deep');
  await writeFile(path.join(base, 'outside', 'secret.txt'), 'secret');
  await writeFile(path.join(base, 'root-evil', 'secret.txt'), 'evil');
  await symlink('inside.txt', path.join(root, 'link-in'));
  await symlink('dir', path.join(root, 'dirlink-in'));
  await symlink('../outside/secret.txt', path.join(root, 'link-out'));
  await symlink(path.join(base, 'outside'), path.join(root, 'dirlink-out'));
  await symlink('../root-evil', path.join(root, 'evil'));
  await symlink('../outside/nope', path.join(root, 'dangling-out'));
  await symlink('nope-inside', path.join(root, 'dangling-in'));
  await symlink('loop-b', path.join(root, 'loop-a'));
  await symlink('loop-a', path.join(root, 'loop-b'));
  await symlink(root, path.join(base, 'root-alias'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('resolveExisting', () => {
  it('resolves files, folders and the root itself', async () => {
    const file = await resolveExisting(root, 'inside.txt');
    expect(file.abs).toBe(path.join(root, 'inside.txt'));
    expect(file.real).toBe(path.join(root, 'inside.txt'));
    expect(file.stat.isFile()).toBe(true);
    const dir = await resolveExisting(root, 'dir\\sub');
    expect(dir.stat.isDirectory()).toBe(true);
    const self = await resolveExisting(root, '.');
    expect(self.real).toBe(root);
  });

  it('accepts links that stay inside, and returns the real path', async () => {
    const link = await resolveExisting(root, 'link-in');
    expect(link.abs).toBe(path.join(root, 'link-in'));
    expect(link.real).toBe(path.join(root, 'inside.txt'));
    const through = await resolveExisting(root, 'dirlink-in/sub/deep.txt');
    expect(through.real).toBe(path.join(root, 'dir', 'sub', 'deep.txt'));
  });

  it('works when the root itself is reached through a link', async () => {
    const r = await resolveExisting(path.join(base, 'root-alias'), 'inside.txt');
    expect(r.real).toBe(path.join(root, 'inside.txt'));
  });

  it('refuses a link to a file outside (rule link)', async () => {
    await expectRefused(resolveExisting(root, 'link-out'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('refuses a path through a folder link that leads outside, existing or not', async () => {
    await expectRefused(resolveExisting(root, 'dirlink-out/secret.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveExisting(root, 'dirlink-out'), 'PATH_OUTSIDE_SESSION', 'link');
    // Security regression: NOT_FOUND here would reveal what exists outside.
    await expectRefused(resolveExisting(root, 'dirlink-out/missing.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveExisting(root, 'dangling-out/x'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('refuses the sibling folder <root>-evil, by ".." and by link', async () => {
    await expectRefused(resolveExisting(root, '../root-evil/secret.txt'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
    await expectRefused(resolveExisting(root, 'evil/secret.txt'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('refuses a FIFO with PATH_SPECIAL_FILE', async () => {
    await expectRefused(resolveExisting(root, 'fifo'), 'PATH_SPECIAL_FILE');
  });

  it('reports missing paths as NOT_FOUND, broken and looping links as link', async () => {
    await expectRefused(resolveExisting(root, 'missing.txt'), 'NOT_FOUND');
    await expectRefused(resolveExisting(root, 'dir/missing/x.txt'), 'NOT_FOUND');
    await expectRefused(resolveExisting(root, 'inside.txt/x'), 'NOT_FOUND');
    await expectRefused(resolveExisting(root, 'dangling-in'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveExisting(root, 'loop-a'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveExisting(path.join(base, 'no-such-root'), 'x'), 'NOT_FOUND');
  });

  it('applies the pure rules first', async () => {
    await expectRefused(resolveExisting(root, '/etc/passwd'), 'PATH_OUTSIDE_SESSION', 'absolute');
    await expectRefused(resolveExisting(root, 'inside.txt\0.png'), 'PATH_INVALID', 'nul-byte');
  });
});

describe('resolveForWrite', () => {
  it('returns the unresolved join for new files, existing files and new folders', async () => {
    expect(await resolveForWrite(root, 'new.txt')).toBe(path.join(root, 'new.txt'));
    expect(await resolveForWrite(root, 'inside.txt')).toBe(path.join(root, 'inside.txt'));
    expect(await resolveForWrite(root, 'a/b/c/new.txt')).toBe(path.join(root, 'a', 'b', 'c', 'new.txt'));
    expect(await resolveForWrite(root, 'dirlink-in/new.txt')).toBe(path.join(root, 'dirlink-in', 'new.txt'));
  });

  it('refuses a planted link at the target, wherever it points', async () => {
    const out = await expectRefused(resolveForWrite(root, 'link-out'), 'PATH_OUTSIDE_SESSION', 'link');
    expect(out.details.target).toBe('outside');
    await expectRefused(resolveForWrite(root, 'dangling-out'), 'PATH_OUTSIDE_SESSION', 'link');
    const inside = await expectRefused(resolveForWrite(root, 'link-in'), 'PATH_OUTSIDE_SESSION', 'link');
    expect(inside.details.target).toBe('inside');
    expect(await readFile(path.join(base, 'outside', 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('refuses writing through a folder link that leads outside or is broken', async () => {
    await expectRefused(resolveForWrite(root, 'dirlink-out/new.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveForWrite(root, 'dirlink-out/x/y/new.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveForWrite(root, 'evil/new.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveForWrite(root, 'dangling-out/new.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(resolveForWrite(root, 'loop-a/new.txt'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('refuses folders, special files, files used as folders and the root', async () => {
    await expectRefused(resolveForWrite(root, 'dir'), 'NOT_A_FILE');
    await expectRefused(resolveForWrite(root, 'fifo'), 'PATH_SPECIAL_FILE');
    await expectRefused(resolveForWrite(root, 'inside.txt/x'), 'NOT_A_DIRECTORY');
    await expectRefused(resolveForWrite(root, '.'), 'PATH_INVALID', 'root');
    await expectRefused(resolveForWrite(root, 'a/..'), 'PATH_INVALID', 'root');
    await expectRefused(resolveForWrite(root, '../root-evil/x'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
  });

  it('a resolved path written durably lands inside the root', async () => {
    const target = await resolveForWrite(root, 'written/out.txt');
    await writeFileDurable(target, 'hello');
    expect(await readFile(path.join(root, 'written', 'out.txt'), 'utf8')).toBe('hello');
  });
});
