// Durable writes on a real folder: content, parent folders, no temp files
// left behind, links replaced rather than followed.
import fc from 'fast-check';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ensureDirDurable,
  fsyncDir,
  fsyncFile,
  isTempName,
  renameDurable,
  tempNameFor,
  tempPathFor,
  writeFileDurable,
} from '../../../src/mesh/fs/durable.js';

let base: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mesh-durable-'));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('writeFileDurable', () => {
  it('writes the content, creates parent folders and leaves no temp file', async () => {
    const target = path.join(base, 'a', 'b', 'c', 'file.txt');
    await writeFileDurable(target, 'hello, mesh');
    expect(await readFile(target, 'utf8')).toBe('hello, mesh');
    expect(await readdir(path.join(base, 'a', 'b', 'c'))).toEqual(['file.txt']);
    expect(await readdir(base)).toEqual(['a']);
  });

  it('replaces an existing file whole, bytes included', async () => {
    const target = path.join(base, 'data.bin');
    await writeFileDurable(target, 'old content that is longer');
    const bytes = new Uint8Array([0, 1, 2, 255]);
    await writeFileDurable(target, bytes);
    expect(new Uint8Array(await readFile(target))).toEqual(bytes);
    expect(await readdir(base)).toEqual(['data.bin']);
  });

  it('applies the mode to a new file', async () => {
    const target = path.join(base, 'script.sh');
    await writeFileDurable(target, '#!/bin/sh\n', { mode: 0o600 });
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('replaces a planted link instead of writing through it', async () => {
    const victim = path.join(base, 'victim.txt');
    await writeFile(victim, 'untouched');
    const target = path.join(base, 'planted');
    await symlink(victim, target);
    await writeFileDurable(target, 'new');
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(target)).isSymbolicLink()).toBe(false);
    expect(await readFile(target, 'utf8')).toBe('new');
  });

  it('fails on a folder target and removes its temp file', async () => {
    const target = path.join(base, 'folder');
    await mkdir(target);
    await expect(writeFileDurable(target, 'x')).rejects.toThrow();
    expect(await readdir(base)).toEqual(['folder']);
  });
});

describe('helpers', () => {
  it('tempPathFor stays in the same folder with a unique hidden name', () => {
    const target = path.join(base, 'x', 'name.txt');
    const a = tempPathFor(target);
    const b = tempPathFor(target, 'stage');
    expect(path.dirname(a)).toBe(path.dirname(target));
    expect(path.basename(a)).toMatch(/^\.name\.txt\.tmp-[0-9a-f]{12}$/);
    expect(path.basename(b)).toMatch(/^\.name\.txt\.stage-[0-9a-f]{12}$/);
    expect(a).not.toBe(tempPathFor(target));
  });

  it('ensureDirDurable creates nested folders and accepts existing ones', async () => {
    const dir = path.join(base, 'p', 'q', 'r');
    await ensureDirDurable(dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await ensureDirDurable(dir);
    await ensureDirDurable(base);
  });

  it('renameDurable moves across folders; fsync helpers accept files and folders', async () => {
    await mkdir(path.join(base, 'from'));
    await mkdir(path.join(base, 'to'));
    await writeFile(path.join(base, 'from', 'f'), 'moved');
    await fsyncFile(path.join(base, 'from', 'f'));
    await renameDurable(path.join(base, 'from', 'f'), path.join(base, 'to', 'f'));
    await fsyncDir(path.join(base, 'to'));
    expect(await readFile(path.join(base, 'to', 'f'), 'utf8')).toBe('moved');
    expect(await readdir(path.join(base, 'from'))).toEqual([]);
  });
});

describe('isTempName', () => {
  it('recognises every name tempNameFor makes, and only the exact shape', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('/')), (name) => {
        expect(isTempName(tempNameFor(name))).toBe(true);
        expect(isTempName(name + '.tmp-0123456789ab')).toBe(name.startsWith('.') && name.length >= 2);
      }),
    );
    for (const name of ['.x.tmp-0123456789a', '.x.tmp-0123456789abc', 'x.tmp-0123456789ab', '.x.tmp-0123456789AB', '.tmp-0123456789ab', '.x.part-0123456789ab']) {
      expect(isTempName(name), name).toBe(false);
    }
  });
});
