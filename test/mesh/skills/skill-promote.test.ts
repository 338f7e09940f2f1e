import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listSkills,
  listVersions,
  readSkillFiles,
  readSkillMeta,
} from '../../../src/mesh/skills/skill-library.js';
import { promoteSkill, type PromoteOptions } from '../../../src/mesh/skills/skill-promote.js';
import { expectLibraryConsistent, expectSiteConsistent, makeTemp, refusal, skillMd, snapshotTree, writeSkill } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let library: string;
const session = (n: string) => path.join(tmp.dir, 'sessions', n);

beforeEach(async () => {
  tmp = await makeTemp('promote');
  library = path.join(tmp.dir, 'skills');
  for (const n of ['a', 'b', 'c']) await mkdir(session(n), { recursive: true });
});
afterEach(async () => tmp.cleanup());

function opts(s: string, skillPath: string, extra: Partial<PromoteOptions> = {}): PromoteOptions {
  return { sessionRoot: session(s), sessionName: s, skillPath, libraryRoot: library, ...extra };
}

describe('promoteSkill', () => {
  it('moves the skill into the library and leaves a link behind', async () => {
    const rel = await writeSkill(session('a'), 'pdf-tools', { 'scripts/run.sh': '#!/bin/sh\necho hi\n', 'ref/notes.md': 'notes' });
    await chmod(path.join(session('a'), rel, 'scripts/run.sh'), 0o755);
    const before = await readSkillFiles(path.join(session('a'), rel));

    const result = await promoteSkill(opts('a', rel));
    expect(result).toMatchObject({ name: 'pdf-tools', version: 1, status: 'promoted' });
    expect(result.libraryPath).toBe(path.join(library, 'pdf-tools'));
    expect(result.linkPath).toBe(path.join(session('a'), rel));
    expect(result.previousVersionPath).toBeUndefined();

    const { current } = await expectLibraryConsistent(library, 'pdf-tools');
    expect(current).toMatchObject({ version: 1, sha256: result.sha256, promotedFrom: 'a' });
    expect((await expectSiteConsistent(result.linkPath, library, 'pdf-tools')).kind).toBe('link');
    expect(await readlink(result.linkPath)).toBe(result.libraryPath);
    // Same files, same executable bits, read through the link.
    expect(await readSkillFiles(result.linkPath)).toEqual(before);
    expect((await stat(path.join(result.libraryPath, 'scripts/run.sh'))).mode & 0o111).not.toBe(0);

    expect(await listSkills(library)).toEqual([
      expect.objectContaining({ name: 'pdf-tools', version: 1, description: 'Does pdf-tools things.', path: result.libraryPath }),
    ]);
    expect(await readSkillMeta(library, 'pdf-tools')).toEqual(current);
    expect((await refusal(readSkillMeta(library, 'nope'))).code).toBe('SKILL_NOT_FOUND');
  });

  it('reports unchanged for the same content, and links the other session too', async () => {
    const first = await promoteSkill(opts('a', await writeSkill(session('a'), 'same', { 'x.txt': 'x' })));
    const second = await promoteSkill(opts('b', await writeSkill(session('b'), 'same', { 'x.txt': 'x' })));
    expect(second).toMatchObject({ status: 'unchanged', version: 1, sha256: first.sha256 });
    expect((await expectSiteConsistent(second.linkPath, library, 'same')).kind).toBe('link');
    // A session path that already is the link: unchanged, nothing written.
    const snapshot = await snapshotTree(tmp.dir);
    const third = await promoteSkill(opts('a', 'skills/same'));
    expect(third).toMatchObject({ status: 'unchanged', version: 1 });
    expect(await snapshotTree(tmp.dir)).toEqual(snapshot);
  });

  it('refuses different content without replace, and keeps versions with it', async () => {
    await promoteSkill(opts('a', await writeSkill(session('a'), 'tool', { 'x.txt': 'one' })));
    const rel = await writeSkill(session('b'), 'tool', { 'x.txt': 'two' });
    const before = await snapshotTree(tmp.dir);
    const err = await refusal(promoteSkill(opts('b', rel)));
    expect(err.code).toBe('SKILL_EXISTS');
    expect(err.details).toMatchObject({ name: 'tool', version: 1 });
    expect(await snapshotTree(tmp.dir)).toEqual(before);

    const replaced = await promoteSkill(opts('b', rel, { replace: true }));
    expect(replaced).toMatchObject({ status: 'replaced', version: 2, previousVersionPath: path.join(library, '.versions/tool/1') });
    const state = await expectLibraryConsistent(library, 'tool');
    expect(state.versions).toEqual([1]);
    expect(await readFile(path.join(session('a'), 'skills/tool/x.txt'), 'utf8')).toBe('two'); // a's link follows the library
    expect(await readFile(path.join(library, '.versions/tool/1/x.txt'), 'utf8')).toBe('one');

    const third = await promoteSkill(opts('c', await writeSkill(session('c'), 'tool', { 'x.txt': 'three' }), { replace: true }));
    expect(third.version).toBe(3);
    expect(await listVersions(library, 'tool')).toEqual([1, 2]);
  });

  it('copies files reached through links that stay inside the session', async () => {
    await writeFile(path.join(session('a'), 'shared.txt'), 'shared data');
    const rel = await writeSkill(session('a'), 'linked', {});
    await symlink('../../shared.txt', path.join(session('a'), rel, 'shared.txt'));
    const result = await promoteSkill(opts('a', rel));
    const copied = path.join(result.libraryPath, 'shared.txt');
    expect((await lstat(copied)).isFile()).toBe(true);
    expect(await readFile(copied, 'utf8')).toBe('shared data');
  });

  it('promotes one session path twice at once: one writes, the other finds the link', async () => {
    const rel = await writeSkill(session('a'), 'twice', { 'x.txt': 'x' });
    const results = await Promise.all([promoteSkill(opts('a', rel)), promoteSkill(opts('a', rel))]);
    expect(results.map((r) => r.status).sort()).toEqual(['promoted', 'unchanged']);
    await expectLibraryConsistent(library, 'twice');
    expect((await expectSiteConsistent(path.join(session('a'), rel), library, 'twice')).kind).toBe('link');
  });

  it('refuses a skill whose files change between validation and copy, leaving nothing behind', async () => {
    const rel = await writeSkill(session('a'), 'moving', { 'x.txt': 'before' });
    const err = await refusal(
      promoteSkill(
        opts('a', rel, {
          stepHook: async (step) => {
            if (step === 'validated') await writeFile(path.join(session('a'), rel, 'x.txt'), 'after');
          },
        }),
      ),
    );
    expect(err).toMatchObject({ code: 'SKILL_INVALID', details: { path: 'x.txt' } });
    expect((await readdirSafe(library)).filter((e) => !e.startsWith('.locks'))).toEqual([]);
    expect(await readFile(path.join(session('a'), rel, 'x.txt'), 'utf8')).toBe('after');
  });

  it('loses the lock and stops writing when the lock is taken away', async () => {
    const rel = await writeSkill(session('a'), 'fragile', { 'x.txt': 'x' });
    const before = await snapshotTree(session('a'));
    const err = await refusal(
      promoteSkill(
        opts('a', rel, {
          lockStaleMs: 2000,
          stepHook: async (step) => {
            if (step !== 'copied') return;
            // Another process deciding our lock is stale looks like this.
            await rm(path.join(library, '.locks', 'fragile.lock'), { recursive: true });
            await new Promise((resolve) => setTimeout(resolve, 1500));
          },
        }),
      ),
    );
    expect(err.code).toBe('LOCK_FAILED');
    expect(await readdirSafe(library)).not.toContain('fragile');
    expect((await readdirSafe(library)).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
    expect(await snapshotTree(session('a'))).toEqual(before);
  });
});

describe('invalid skills change nothing', () => {
  const outside = () => path.join(tmp.dir, 'outside');
  const cases: Array<[string, () => Promise<string>, string, Partial<PromoteOptions>?]> = [
    ['no SKILL.md', async () => {
      await mkdir(path.join(session('b'), 'skills/empty'), { recursive: true });
      await writeFile(path.join(session('b'), 'skills/empty/readme.txt'), 'x');
      return 'skills/empty';
    }, 'SKILL_INVALID'],
    ['no front matter', () => writeSkill(session('b'), 'plain', {}, { skillMd: '# just markdown\n' }), 'SKILL_INVALID'],
    ['a bad name', () => writeSkill(session('b'), 'Bad_Name', {}, { skillMd: skillMd('Bad_Name') }), 'SKILL_INVALID'],
    ['a name unlike its folder', () => writeSkill(session('b'), 'folder-name', {}, { skillMd: skillMd('other-name') }), 'SKILL_INVALID'],
    ['a file link outside the session', async () => {
      const rel = await writeSkill(session('b'), 'leaky');
      await symlink(path.join(outside(), 'secret.txt'), path.join(session('b'), rel, 'secret.txt'));
      return rel;
    }, 'PATH_OUTSIDE_SESSION'],
    ['a folder link outside the session', async () => {
      const rel = await writeSkill(session('b'), 'leaky-dir');
      await symlink(outside(), path.join(session('b'), rel, 'more'));
      return rel;
    }, 'PATH_OUTSIDE_SESSION'],
    ['a dangling link outside the session', async () => {
      const rel = await writeSkill(session('b'), 'dangling');
      await symlink('/nonexistent/elsewhere', path.join(session('b'), rel, 'gone'));
      return rel;
    }, 'PATH_OUTSIDE_SESSION'],
    ['a link into another session', async () => {
      await writeFile(path.join(session('c'), 'private.txt'), 'private');
      const rel = await writeSkill(session('b'), 'cross');
      await symlink(path.join(session('c'), 'private.txt'), path.join(session('b'), rel, 'private.txt'));
      return rel;
    }, 'PATH_OUTSIDE_SESSION'],
    ['a skill folder that is a link outside', async () => {
      await writeSkill(tmp.dir, 'away', {}, { rel: 'outside/away' });
      await mkdir(path.join(session('b'), 'skills'), { recursive: true });
      await symlink(path.join(outside(), 'away'), path.join(session('b'), 'skills/away'));
      return 'skills/away';
    }, 'PATH_OUTSIDE_SESSION'],
    ['a parent folder that is a link outside', async () => {
      await writeSkill(tmp.dir, 'via', {}, { rel: 'outside/via' });
      await symlink(outside(), path.join(session('b'), 'skills'));
      return 'skills/via';
    }, 'PATH_OUTSIDE_SESSION'],
    ['a ".." escape', async () => '../a/skills/good', 'PATH_OUTSIDE_SESSION'],
    ['an absolute path', async () => path.join(session('a'), 'skills/good'), 'PATH_OUTSIDE_SESSION'],
    ['a missing folder', async () => 'skills/missing', 'NOT_FOUND'],
    ['a FIFO', async () => {
      const rel = await writeSkill(session('b'), 'fifo');
      execFileSync('mkfifo', [path.join(session('b'), rel, 'pipe')]);
      return rel;
    }, 'PATH_SPECIAL_FILE'],
    ['too many files', () => writeSkill(session('b'), 'many', { 'a': '1', 'b': '2', 'c': '3' }), 'TOO_LARGE', { limits: { maxFiles: 3 } }],
    ['too many bytes', () => writeSkill(session('b'), 'big', { 'a.bin': 'x'.repeat(5000) }), 'TOO_LARGE', { limits: { maxBytes: 4096 } }],
  ];

  for (const [label, setup, code, extra] of cases) {
    it(`refuses ${label} with ${code}`, async () => {
      await mkdir(outside(), { recursive: true });
      await writeFile(path.join(outside(), 'secret.txt'), 'secret');
      // A library with content, so "nothing changes" has something to compare.
      await promoteSkill(opts('a', await writeSkill(session('a'), 'good')));
      const rel = await setup();
      const before = { library: await snapshotTree(library), sessions: await snapshotTree(path.join(tmp.dir, 'sessions')) };
      const err = await refusal(promoteSkill(opts('b', rel, { replace: true, ...extra })));
      expect(err.code).toBe(code);
      expect(err.message.length).toBeGreaterThan(10);
      if (code === 'PATH_OUTSIDE_SESSION') expect(err.details.rule).toBeDefined();
      if (code === 'SKILL_INVALID') expect(err.details.field).toBeDefined();
      expect(await snapshotTree(library)).toEqual(before.library);
      expect(await snapshotTree(path.join(tmp.dir, 'sessions'))).toEqual(before.sessions);
    });
  }
});

function readdirSafe(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
