// Symlink inversion never deletes what differs: a session folder replaced by
// a link is removed only when the library copy holds all of it; otherwise it
// is kept, whole and byte-identical, under `<library>/.kept/<name>/`, and
// the kept folder is never taken for a skill or a version.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installSkill } from '../../../src/mesh/skills/skill-install.js';
import { compareAside, settleAside } from '../../../src/mesh/skills/skill-keep.js';
import { listSkills, listVersions, readSkillFiles } from '../../../src/mesh/skills/skill-library.js';
import { recoverSite } from '../../../src/mesh/skills/skill-link.js';
import { DEFAULT_SKILL_LIMITS, skillContentHash } from '../../../src/mesh/skills/skill-manifest.js';
import { promoteSkill, type PromoteOptions } from '../../../src/mesh/skills/skill-promote.js';
import { recoverPromotions } from '../../../src/mesh/skills/skill-recover.js';
import {
  expectLibraryConsistent,
  expectRecordedHashes,
  expectSiteConsistent,
  keptFolders,
  makeTemp,
  skillMd,
  snapshotTree,
  writeSkill,
} from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let library: string;
let session: string;

beforeEach(async () => {
  tmp = await makeTemp('keep');
  library = path.join(tmp.dir, 'skills');
  session = path.join(tmp.dir, 'session');
  await mkdir(session, { recursive: true });
});
afterEach(async () => tmp.cleanup());

function opts(rel: string, extra: Partial<PromoteOptions> = {}): PromoteOptions {
  return { sessionRoot: session, sessionName: 's', skillPath: rel, libraryRoot: library, replace: true, ...extra };
}

describe('promotion', () => {
  it('keeps a file added to the session folder after the copy, and reports it', async () => {
    const rel = await writeSkill(session, 'tool', { 'run.sh': 'echo one\n' });
    const site = path.join(session, rel);
    const result = await promoteSkill(
      opts(rel, {
        stepHook: async (step) => {
          // Something writes into the folder between the copy and the link.
          if (step === 'renamed') await writeFile(path.join(site, 'late.txt'), 'written after the copy');
        },
      }),
    );
    expect(result.status).toBe('promoted');
    expect(result.kept).toHaveLength(1);
    const [kept] = result.kept;
    expect(kept).toMatchObject({ from: site, changed: [], added: ['late.txt'], incomplete: false });
    expect(kept!.path).toMatch(/^\.kept\/tool\/[0-9a-f]{12}-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    // The whole folder is kept, byte for byte: the late file and the rest.
    const keptDir = path.join(library, kept!.path);
    expect(await readFile(path.join(keptDir, 'late.txt'), 'utf8')).toBe('written after the copy');
    expect(await readFile(path.join(keptDir, 'run.sh'), 'utf8')).toBe('echo one\n');
    expect((await expectSiteConsistent(site, library, 'tool')).kind).toBe('link');
    await expectLibraryConsistent(library, 'tool');
    await expectRecordedHashes(library);
  });

  it('removes the set-aside folder when the library copy holds all of it', async () => {
    const rel = await writeSkill(session, 'tool', { 'a.txt': 'a', 'deep/b.txt': 'b' });
    // A mesh temp file left by an interrupted write is not data.
    await writeFile(path.join(session, rel, 'deep/.b.txt.tmp-0123456789ab'), 'half');
    const result = await promoteSkill(opts(rel));
    expect(result.kept).toEqual([]);
    expect(await keptFolders(library, 'tool')).toEqual([]);
    expect((await expectSiteConsistent(path.join(session, rel), library, 'tool')).kind).toBe('link');
  });

  it('never lists, delivers or numbers a kept folder as a skill or version', async () => {
    const rel = await writeSkill(session, 'tool', { 'a.txt': 'v1' });
    await promoteSkill(opts(rel, { stepHook: async (s) => void (s === 'renamed' && (await writeFile(path.join(session, rel, 'x'), 'x'))) }));
    expect(await keptFolders(library, 'tool')).toHaveLength(1);
    const other = path.join(tmp.dir, 'other');
    await mkdir(other);
    await promoteSkill({ ...opts(await writeSkill(other, 'tool', { 'a.txt': 'v2' })), sessionRoot: other });

    expect((await listSkills(library)).map((s) => [s.name, s.version])).toEqual([['tool', 2]]);
    expect(await listVersions(library, 'tool')).toEqual([1]);
    expect((await readSkillFiles(path.join(library, 'tool'))).map((f) => f.path)).toEqual(['SKILL.md', 'a.txt']);
    // Recovery leaves kept folders alone.
    const before = await snapshotTree(path.join(library, '.kept'));
    await recoverPromotions(library, [session, other]);
    expect(await snapshotTree(path.join(library, '.kept'))).toEqual(before);
  });
});

describe('compareAside', () => {
  it('lists changed and added files, links and special files, and ignores empty folders and mesh temp names', async () => {
    const rel = await writeSkill(session, 'tool', { 'same.txt': 'same', 'changed.txt': 'library bytes', 'gone.txt': 'only in library' });
    await promoteSkill(opts(rel));
    const aside = path.join(tmp.dir, 'aside');
    await writeSkill(tmp.dir, 'tool', { 'same.txt': 'same', 'changed.txt': 'other bytes', 'sub/new.txt': 'new' }, { rel: 'aside' });
    await mkdir(path.join(aside, 'empty'));
    await symlink('/etc/passwd', path.join(aside, 'link'));
    execFileSync('mkfifo', [path.join(aside, 'pipe')]);
    await writeFile(path.join(aside, '.same.txt.part-0123456789abcdef'), 'partial');
    expect(await compareAside(aside, path.join(library, 'tool'))).toEqual({
      changed: ['changed.txt'],
      added: ['link', 'pipe', 'sub/new.txt'],
      incomplete: false,
      identical: false,
    });
    await rm(aside, { recursive: true });
    await writeSkill(tmp.dir, 'tool', { 'same.txt': 'same' }, { rel: 'aside' });
    expect((await compareAside(aside, path.join(library, 'tool'))).identical).toBe(true);
  });

  it('stops at the limits and then never calls the folder identical', async () => {
    const rel = await writeSkill(session, 'tool', {});
    await promoteSkill(opts(rel));
    const aside = path.join(tmp.dir, 'aside');
    await writeSkill(tmp.dir, 'tool', {}, { rel: 'aside' });
    for (let i = 0; i < 12; i++) await mkdir(path.join(aside, `d${i}`));
    const limits = { ...DEFAULT_SKILL_LIMITS, maxFiles: 5 };
    expect(await compareAside(aside, path.join(library, 'tool'), limits)).toMatchObject({ identical: false, incomplete: true });
    // A file where the library has a folder is kept as a whole.
    await writeFile(path.join(tmp.dir, 'plain'), 'x');
    expect(await compareAside(path.join(tmp.dir, 'plain'), path.join(library, 'tool'))).toMatchObject({ identical: false, added: ['.'] });
  });
});

describe('recovery', () => {
  it('keeps a differing aside behind a working link, and removes an identical one', async () => {
    const rel = await writeSkill(session, 'tool', { 'a.txt': 'a' });
    await promoteSkill(opts(rel));
    const skills = path.join(session, 'skills');
    await writeSkill(session, 'tool', { 'a.txt': 'changed here', 'mine.txt': 'mine' }, { rel: 'skills/.tool.orig-aaaaaaaaaaaa' });
    await writeSkill(session, 'tool', { 'a.txt': 'a' }, { rel: 'skills/.tool.orig-bbbbbbbbbbbb' });
    const differing = await snapshotTree(path.join(skills, '.tool.orig-aaaaaaaaaaaa'));

    const report = await recoverSite({ libraryRoot: library, name: 'tool', sitePath: path.join(skills, 'tool') });
    expect(report).toMatchObject({ restored: false, removedAsides: 1, kept: [] });
    expect(report.keptInLibrary).toEqual([
      expect.objectContaining({ from: path.join(skills, 'tool'), changed: ['a.txt'], added: ['mine.txt'], incomplete: false }),
    ]);
    expect(await snapshotTree(path.join(library, report.keptInLibrary[0]!.path))).toEqual(differing);
    expect((await readdir(skills)).sort()).toEqual(['tool']);
  });

  it('leaves an aside it cannot move into the library where it is, never removing it', async () => {
    const shm = await mkdtemp('/dev/shm/mesh-keep-').catch(() => undefined);
    if (!shm) return; // no second file system to test with
    try {
      const rel = await writeSkill(session, 'tool', { 'a.txt': 'a' });
      await promoteSkill(opts(rel));
      // The library moves to another file system; the session stays.
      const moved = path.join(shm, 'skills');
      execFileSync('cp', ['-a', library, moved]);
      const aside = path.join(session, 'skills', '.tool.orig-cccccccccccc');
      await writeSkill(session, 'tool', { 'mine.txt': 'mine' }, { rel: 'skills/.tool.orig-cccccccccccc' });
      const kept = await settleAside({ libraryRoot: moved, name: 'tool', aside, sitePath: path.join(session, rel), target: path.join(moved, 'tool') });
      expect(kept).toMatchObject({ path: aside, added: ['mine.txt'] });
      expect(await readFile(path.join(aside, 'mine.txt'), 'utf8')).toBe('mine');
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });
});

describe('node install', () => {
  it('keeps files of the session folder the delivered copy lacks', async () => {
    const files = [
      { path: 'SKILL.md', data: Buffer.from(skillMd('deploy')), mode: 0o644 },
      { path: 'run.sh', data: Buffer.from('echo hub\n'), mode: 0o755 },
    ];
    const sha256 = skillContentHash(files.map((f) => ({ path: f.path, executable: (f.mode & 0o111) !== 0, sha256: createHash('sha256').update(f.data).digest('hex') })));
    // The node's own copy: one file changed here, one written only here.
    await writeSkill(session, 'deploy', { 'run.sh': 'echo node-local\n', 'notes/local.md': 'only on this node' });
    const result = await installSkill({ libraryRoot: library, name: 'deploy', version: 1, sha256, files, links: [{ sessionRoot: session, path: 'skills/deploy' }] });
    expect(result.kept).toEqual([expect.objectContaining({ changed: ['run.sh'], added: ['notes/local.md'] })]);
    const keptDir = path.join(library, result.kept[0]!.path);
    expect(await readFile(path.join(keptDir, 'run.sh'), 'utf8')).toBe('echo node-local\n');
    expect(await readFile(path.join(keptDir, 'notes/local.md'), 'utf8')).toBe('only on this node');
    expect((await expectSiteConsistent(path.join(session, 'skills/deploy'), library, 'deploy')).kind).toBe('link');
    await expectRecordedHashes(library);
    // Installing again changes nothing and keeps nothing more.
    expect((await installSkill({ libraryRoot: library, name: 'deploy', version: 1, sha256, files, links: [{ sessionRoot: session, path: 'skills/deploy' }] })).kept).toEqual([]);
    expect(await keptFolders(library, 'deploy')).toHaveLength(1);
  });
});
