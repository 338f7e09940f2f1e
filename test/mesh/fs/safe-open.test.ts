// Reads through checked handles on a real folder: links in and out, at the
// last segment and on the way, swapped after the check; FIFOs, dangling and
// looping links; and, over generated trees and paths, agreement with the
// path-level rules of resolve.ts wherever nothing changes under the read.
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { listDir, readRange } from '../../../src/mesh/fs/read-ops.js';
import { resolveExisting } from '../../../src/mesh/fs/resolve.js';
import { ensureDirInside, openDirInside, openExistingInside, realParentInside } from '../../../src/mesh/fs/safe-walk.js';

let base: string;
let root: string;
let outside: string;

async function refusal(p: Promise<unknown>): Promise<MeshError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshError);
  return err as MeshError;
}

async function expectRefused(p: Promise<unknown>, code: string, rule?: string): Promise<void> {
  const err = await refusal(p);
  expect(err.code, err.message).toBe(code);
  if (rule !== undefined) expect(err.details.rule).toBe(rule);
}

const text = async (rel: string) => (await readRange(root, rel)).data.toString('utf8');

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mesh-safe-open-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'dir', 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(root, 'inside.txt'), 'inside');
  await writeFile(path.join(root, 'dir', 'sub', 'deep.txt'), 'deep');
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  await symlink('inside.txt', path.join(root, 'link-in'));
  await symlink('link-in', path.join(root, 'link-chain'));
  await symlink('dir', path.join(root, 'dirlink-in'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link-out'));
  await symlink(outside, path.join(root, 'dirlink-out'));
  await symlink(path.join(outside, 'nope'), path.join(root, 'dangling-out'));
  await symlink('nope-inside', path.join(root, 'dangling-in'));
  await symlink('loop-b', path.join(root, 'loop-a'));
  await symlink('loop-a', path.join(root, 'loop-b'));
  execFileSync('mkfifo', [path.join(root, 'fifo'), path.join(outside, 'fifo')]);
  await symlink(path.join(outside, 'fifo'), path.join(root, 'fifo-out'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('reads through checked handles', () => {
  it('reads files and lists folders, the root included', async () => {
    expect(await text('inside.txt')).toBe('inside');
    expect(await text('dir\\sub/deep.txt')).toBe('deep');
    expect((await listDir(root, '.')).entries.map((e) => e.name)).toContain('inside.txt');
    expect((await listDir(root, 'dir')).entries).toEqual([expect.objectContaining({ name: 'sub', type: 'directory' })]);
  });

  it('follows links that stay inside, at the last segment and on the way', async () => {
    expect(await text('link-in')).toBe('inside');
    expect(await text('link-chain')).toBe('inside');
    expect(await text('dirlink-in/sub/deep.txt')).toBe('deep');
    expect((await listDir(root, 'dirlink-in')).entries.map((e) => e.name)).toEqual(['sub']);
  });

  it('refuses a link planted at the last segment that leads outside, without opening its target', async () => {
    await expectRefused(readRange(root, 'link-out'), 'PATH_OUTSIDE_SESSION', 'link');
    // A FIFO out there would hang an open: it is refused before any open.
    await expectRefused(readRange(root, 'fifo-out'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(listDir(root, 'dirlink-out'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('refuses a path through a link that leads outside, and is no oracle for what exists there', async () => {
    await expectRefused(readRange(root, 'dirlink-out/secret.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(readRange(root, 'dirlink-out/missing.txt'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(readRange(root, 'link-out/x'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(readRange(root, 'dangling-out/x'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('refuses FIFOs (without blocking), dangling and looping links', async () => {
    await expectRefused(readRange(root, 'fifo'), 'PATH_SPECIAL_FILE');
    await expectRefused(readRange(root, 'dangling-in'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(readRange(root, 'dangling-out'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(readRange(root, 'loop-a'), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(readRange(root, 'loop-a/x'), 'PATH_OUTSIDE_SESSION', 'link');
  });

  it('reports what is missing inside as NOT_FOUND, folders and files in the wrong place by their codes', async () => {
    await expectRefused(readRange(root, 'missing.txt'), 'NOT_FOUND');
    await expectRefused(readRange(root, 'dir/missing/x.txt'), 'NOT_FOUND');
    await expectRefused(readRange(root, 'inside.txt/x'), 'NOT_FOUND');
    await expectRefused(readRange(root, 'dir'), 'NOT_A_FILE');
    await expectRefused(listDir(root, 'inside.txt'), 'NOT_A_DIRECTORY');
    await expectRefused(readRange(path.join(base, 'no-root'), 'x'), 'NOT_FOUND');
    await expectRefused(readRange(root, '../outside/secret.txt'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
  });
});

describe('a folder swapped for a link after the check', () => {
  it('an open folder handle keeps reading the real folder; a new open is refused', async () => {
    const d = path.join(root, 'swap');
    await mkdir(d);
    await writeFile(path.join(d, 'f.txt'), 'real');
    await writeFile(path.join(outside, 'f.txt'), 'OUTSIDE');
    // The path check passes, then the folder is swapped before the read.
    await resolveExisting(root, 'swap/f.txt');
    const dir = await openDirInside(root, ['swap']);
    try {
      await rename(d, `${d}-real`);
      await symlink(outside, d);
      expect(await readFile(dir.at('f.txt'), 'utf8')).toBe('real');
      await expectRefused(readRange(root, 'swap/f.txt'), 'PATH_OUTSIDE_SESSION', 'link');
      await expectRefused(openDirInside(root, ['swap']), 'PATH_OUTSIDE_SESSION', 'link');
      // Moved out of the root altogether: the handle shows it.
      await rename(`${d}-real`, path.join(outside, 'moved'));
      await expectRefused(dir.located(), 'PATH_OUTSIDE_SESSION', 'link');
    } finally {
      await dir.close();
    }
  });
});

describe('skills helpers over the same primitives', () => {
  it('realParentInside resolves parents inside and refuses links out', async () => {
    expect(await realParentInside(root, ['dirlink-in', 'sub', 'x'])).toBe(path.join(root, 'dir', 'sub', 'x'));
    await expectRefused(realParentInside(root, ['dirlink-out', 'x']), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(realParentInside(root, ['nope', 'x']), 'NOT_FOUND');
  });

  it('ensureDirInside creates folders 0700 and refuses links out and files in the way', async () => {
    const made = await ensureDirInside(root, ['made', 'deeper']);
    expect(made).toBe(path.join(root, 'made', 'deeper'));
    await expectRefused(ensureDirInside(root, ['dirlink-out', 'x']), 'PATH_OUTSIDE_SESSION', 'link');
    await expectRefused(ensureDirInside(root, ['inside.txt', 'x']), 'NOT_A_DIRECTORY');
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });
});

describe('agreement with the path-level rules, generated trees and paths', () => {
  // Entries of a small tree; links point inside, outside, nowhere, or at each other.
  const names = ['a', 'b', 'c'];
  const kindArb = fc.constantFrom('file', 'dir', 'link-in-file', 'link-in-dir', 'link-out', 'link-out-dir', 'dangling', 'link-parent');
  const pathArb = fc.array(fc.constantFrom(...names, '..', '.'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

  it('opens what resolveExisting accepts, refuses with its code what it refuses, and never returns outside bytes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom('', 'a/', 'b/'), kindArb), { maxLength: 8 }), fc.array(pathArb, { minLength: 1, maxLength: 6 }), async (entries, paths) => {
        const top = path.join(base, `gen-${run++}`);
        const r = path.join(top, 'root');
        const out = path.join(top, 'out');
        await mkdir(path.join(out, 'a'), { recursive: true });
        await mkdir(r, { recursive: true });
        for (const n of names.slice(1)) await writeFile(path.join(out, n), 'OUTSIDE');
        for (const n of names) await writeFile(path.join(out, 'a', n), 'OUTSIDE');
        for (const [name, dir, kind] of entries) {
          const at = path.join(r, dir, name);
          await mkdir(path.dirname(at), { recursive: true }).catch(() => {});
          // The setup itself must never write through a link it planted.
          if (!(await lstat(path.dirname(at))).isDirectory()) continue;
          const make = {
            file: () => writeFile(at, `inside ${dir}${name}`, { flag: 'wx' }),
            dir: () => mkdir(at),
            'link-in-file': () => symlink(path.join(r, 'a'), at),
            'link-in-dir': () => symlink('.', at),
            'link-out': () => symlink(path.join(out, name), at),
            'link-out-dir': () => symlink(out, at),
            dangling: () => symlink(path.join(out, 'nope', name), at),
            'link-parent': () => symlink('..', at),
          }[kind];
          await make().catch(() => {});
        }
        for (const rel of paths) {
          const expected = await resolveExisting(r, rel).then(
            (res) => ({ ok: true as const, dir: res.stat.isDirectory() }),
            (err: MeshError) => ({ ok: false as const, code: err.code }),
          );
          const got = await openExistingInside(r, rel).then(
            async (o) => {
              const data = o.file ? (await o.file.readFile()).toString('utf8') : undefined;
              await o.close();
              return { ok: true as const, dir: Boolean(o.dir), data };
            },
            (err: unknown) => {
              expect(err).toBeInstanceOf(MeshError);
              return { ok: false as const, code: (err as MeshError).code };
            },
          );
          expect(got.ok, `${rel}: ${JSON.stringify({ expected, got })}`).toBe(expected.ok);
          if (got.ok && expected.ok) {
            expect(got.dir).toBe(expected.dir);
            if (got.data !== undefined) expect(got.data).toMatch(/^inside /);
          } else if (!got.ok && !expected.ok) {
            expect(got.code, rel).toBe(expected.code);
          }
        }
        await rm(top, { recursive: true, force: true });
      }),
      { numRuns: 200 },
    );
  });
});
