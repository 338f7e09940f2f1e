// Writes through checked folder handles on a real folder: planted links at
// the target (symlinks, hard links, FIFOs as part files), links on the way,
// a folder swapped for a link after the parent was checked, modes; and, over
// generated trees and paths, agreement with resolveForWrite.
import { execFileSync } from 'node:child_process';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { resolveForWrite } from '../../../src/mesh/fs/resolve.js';
import { commitAt, linkIntoPlace, openOwnedFile, openParentForWrite, writeFileAt, writeFileInside } from '../../../src/mesh/fs/safe-write.js';

let base: string;
let root: string;
let outside: string;
let victim: string;

async function expectRefused(p: Promise<unknown>, code: string, rule?: string): Promise<MeshError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshError);
  expect((err as MeshError).code, (err as MeshError).message).toBe(code);
  if (rule !== undefined) expect((err as MeshError).details.rule).toBe(rule);
  return err as MeshError;
}

/** The outside folder, unchanged: same names, the victim's bytes intact. */
async function expectOutsideUntouched(): Promise<void> {
  expect((await readdir(outside)).sort()).toEqual(['victim.txt']);
  expect(await readFile(victim, 'utf8')).toBe('victim');
}

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mesh-safe-write-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  victim = path.join(outside, 'victim.txt');
  await mkdir(path.join(root, 'dir'), { recursive: true });
  await mkdir(outside);
  await writeFile(victim, 'victim');
  await writeFile(path.join(root, 'inside.txt'), 'inside');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('writeFileInside', () => {
  it('writes durably: parents 0700, file 0600, no temp file left', async () => {
    await writeFileInside(root, 'a/b/new.txt', 'hello');
    expect(await readFile(path.join(root, 'a', 'b', 'new.txt'), 'utf8')).toBe('hello');
    expect((await stat(path.join(root, 'a'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, 'a', 'b'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, 'a', 'b', 'new.txt'))).mode & 0o777).toBe(0o600);
    expect(await readdir(path.join(root, 'a', 'b'))).toEqual(['new.txt']);
    await writeFileInside(root, 'inside.txt', 'replaced');
    expect(await readFile(path.join(root, 'inside.txt'), 'utf8')).toBe('replaced');
  });

  it('refuses a planted link at the target, wherever it points, and writes nothing through it', async () => {
    await symlink(victim, path.join(root, 'planted'));
    const out = await expectRefused(writeFileInside(root, 'planted', 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    expect(out.details.target).toBe('outside');
    await symlink('inside.txt', path.join(root, 'link-in'));
    const inside = await expectRefused(writeFileInside(root, 'link-in', 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    expect(inside.details.target).toBe('inside');
    expect(await readFile(path.join(root, 'inside.txt'), 'utf8')).toBe('inside');
    await expectOutsideUntouched();
  });

  it('refuses links on the way that lead outside or nowhere, creating nothing outside', async () => {
    await symlink(outside, path.join(root, 'dirlink-out'));
    await symlink(path.join(outside, 'nope'), path.join(root, 'dangling'));
    await symlink(victim, path.join(root, 'file-link-out'));
    await expectRefused(writeFileInside(root, 'dirlink-out/new.txt', 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(writeFileInside(root, 'dirlink-out/x/y/new.txt', 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(writeFileInside(root, 'dangling/new.txt', 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    // Security regression: NOT_A_DIRECTORY here would tell that the target outside is a file.
    await expectRefused(writeFileInside(root, 'file-link-out/new.txt', 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectOutsideUntouched();
    expect(await readdir(path.join(base))).toEqual(['outside', 'root']);
  });

  it('follows a folder link that stays inside', async () => {
    await symlink('dir', path.join(root, 'dirlink-in'));
    await writeFileInside(root, 'dirlink-in/new.txt', 'via link');
    expect(await readFile(path.join(root, 'dir', 'new.txt'), 'utf8')).toBe('via link');
  });

  it('refuses folders, special files, files used as folders and the root', async () => {
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    await expectRefused(writeFileInside(root, 'dir', 'x'), 'NOT_A_FILE');
    await expectRefused(writeFileInside(root, 'fifo', 'x'), 'PATH_SPECIAL_FILE');
    await expectRefused(writeFileInside(root, 'inside.txt/x', 'x'), 'NOT_A_DIRECTORY');
    await expectRefused(writeFileInside(root, '.', 'x'), 'PATH_INVALID', 'root');
    await expectRefused(writeFileInside(root, '../outside/x', 'x'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
  });
});

describe('a folder swapped for a link after its handle was checked', () => {
  it('the write lands in the real folder, nothing outside', async () => {
    const { dir, name } = await openParentForWrite(root, 'swap/new.txt');
    try {
      await rename(path.join(root, 'swap'), path.join(root, 'swap-real'));
      await symlink(outside, path.join(root, 'swap'));
      await writeFileAt(dir, name, 'landed');
    } finally {
      await dir.close();
    }
    expect(await readFile(path.join(root, 'swap-real', 'new.txt'), 'utf8')).toBe('landed');
    await expectOutsideUntouched();
  });

  it('a folder moved out of the root is refused at the commit', async () => {
    const { dir, name } = await openParentForWrite(root, 'moving/new.txt');
    try {
      await rename(path.join(root, 'moving'), path.join(base, 'moved-out'));
      await expectRefused(writeFileAt(dir, name, 'x'), 'PATH_OUTSIDE_SESSION', 'link');
    } finally {
      await dir.close();
    }
    expect(await readdir(path.join(base, 'moved-out'))).toEqual([]);
  });

  it('a link planted at the target after the temp file was written is refused at the commit', async () => {
    const { dir, name } = await openParentForWrite(root, 'dir/late.txt');
    try {
      await writeFile(dir.at('.late.txt.tmp-000000000000'), 'temp');
      await symlink(victim, path.join(root, 'dir', 'late.txt'));
      await expectRefused(commitAt(dir, '.late.txt.tmp-000000000000', name), 'PATH_OUTSIDE_SESSION', 'link');
    } finally {
      await dir.close();
    }
    await expectOutsideUntouched();
  });
});

describe('linkIntoPlace', () => {
  it('puts the very file (no copy) at the target durably, leaving no temp entry', async () => {
    const staged = path.join(base, 'staged-data');
    await writeFile(staged, 'pushed', { mode: 0o600 });
    await linkIntoPlace(root, 'p/q/file.bin', staged);
    expect(await readFile(path.join(root, 'p', 'q', 'file.bin'), 'utf8')).toBe('pushed');
    expect((await stat(path.join(root, 'p', 'q', 'file.bin'))).ino).toBe((await stat(staged)).ino);
    expect(await readdir(path.join(root, 'p', 'q'))).toEqual(['file.bin']);
  });

  it('refuses a link planted at the target, writes nothing through it and leaves no temp entry', async () => {
    const staged = path.join(base, 'staged-data');
    await writeFile(staged, 'pushed', { mode: 0o600 });
    await mkdir(path.join(root, 'p'), { recursive: true });
    await symlink(victim, path.join(root, 'p', 'file.bin'));
    await expect(linkIntoPlace(root, 'p/file.bin', staged)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_SESSION' });
    expect(await readdir(path.join(root, 'p'))).toEqual(['file.bin']);
    await expectOutsideUntouched();
  });
});

describe('openOwnedFile (part files)', () => {
  it.each([
    ['a symlink to a file outside', (at: string) => symlink(victim, at)],
    ['a dangling symlink', (at: string) => symlink(path.join(outside, 'new.txt'), at)],
    ['a hard link to a file outside', (at: string) => link(victim, at)],
    ['a FIFO', async (at: string) => void execFileSync('mkfifo', [at])],
  ])('replaces %s instead of writing through it', async (_what, plant) => {
    const part = path.join(root, 'dir', '.f.part-abc');
    await plant(part);
    const { dir } = await openParentForWrite(root, 'dir/f');
    try {
      const handle = await openOwnedFile(dir, '.f.part-abc');
      try {
        await handle.truncate(0);
        await handle.write('new bytes', 0);
        const st = await handle.stat();
        expect(st.isFile() && st.nlink === 1).toBe(true);
        expect(st.mode & 0o777).toBe(0o600);
      } finally {
        await handle.close();
      }
    } finally {
      await dir.close();
    }
    expect((await lstat(part)).isFile()).toBe(true);
    expect(await readFile(part, 'utf8')).toBe('new bytes');
    await expectOutsideUntouched();
  });

  it('keeps and reopens its own part file, bytes included', async () => {
    const part = path.join(root, 'dir', '.g.part-abc');
    await writeFile(part, 'resume me', { mode: 0o600 });
    const { dir } = await openParentForWrite(root, 'dir/g');
    const handle = await openOwnedFile(dir, '.g.part-abc');
    expect((await handle.readFile()).toString()).toBe('resume me');
    await handle.close();
    await dir.close();
  });
});

describe('agreement with resolveForWrite, generated trees and paths', () => {
  const names = ['a', 'b'];
  const kindArb = fc.constantFrom('file', 'dir', 'link-in', 'link-in-dir', 'link-out', 'link-out-dir', 'dangling');
  const pathArb = fc.array(fc.constantFrom(...names, 'n', '..'), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));

  it('writes where resolveForWrite accepts, refuses with its code where it refuses, never outside', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom('', 'a/'), kindArb), { maxLength: 6 }), pathArb, async (entries, rel) => {
        const top = path.join(base, `gen-${run++}`);
        const r = path.join(top, 'root');
        const out = path.join(top, 'out');
        await mkdir(r, { recursive: true });
        await mkdir(out);
        await writeFile(path.join(out, 'a'), 'OUTSIDE');
        for (const [name, dir, kind] of entries) {
          const at = path.join(r, dir, name);
          await mkdir(path.dirname(at), { recursive: true }).catch(() => {});
          // The setup itself must never write through a link it planted.
          if (!(await lstat(path.dirname(at))).isDirectory()) continue;
          const make = {
            file: () => writeFile(at, 'inside', { flag: 'wx' }),
            dir: () => mkdir(at),
            'link-in': () => symlink(path.join(r, 'b'), at),
            'link-in-dir': () => symlink('.', at),
            'link-out': () => symlink(path.join(out, 'a'), at),
            'link-out-dir': () => symlink(out, at),
            dangling: () => symlink(path.join(out, 'nope'), at),
          }[kind];
          await make().catch(() => {});
        }
        const expected = await resolveForWrite(r, rel).then(
          () => ({ ok: true as const }),
          (err: MeshError) => ({ ok: false as const, code: err.code }),
        );
        const got = await writeFileInside(r, rel, 'written').then(
          () => ({ ok: true as const }),
          (err: MeshError) => ({ ok: false as const, code: err.code }),
        );
        expect(got, `${rel} ${JSON.stringify(entries)}`).toEqual(expected);
        expect(await readdir(out)).toEqual(['a']);
        expect(await readFile(path.join(out, 'a'), 'utf8')).toBe('OUTSIDE');
        await rm(top, { recursive: true, force: true });
      }),
      { numRuns: 200 },
    );
  });
});
