// Node side: a delivered skill lands in the node's library, verified, and the
// session paths become links to it; installing twice changes nothing.
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readlink, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installSkill, type InstallOptions } from '../../../src/mesh/skills/skill-install.js';
import { readSkillFiles } from '../../../src/mesh/skills/skill-library.js';
import { skillContentHash } from '../../../src/mesh/skills/skill-manifest.js';
import { recoverPromotions } from '../../../src/mesh/skills/skill-recover.js';
import { expectLibraryConsistent, expectSiteConsistent, makeTemp, refusal, skillMd, snapshotTree, writeSkill } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let library: string;
let sessionA: string;
let sessionB: string;

beforeEach(async () => {
  tmp = await makeTemp('install');
  library = path.join(tmp.dir, 'node', 'skills');
  sessionA = path.join(tmp.dir, 'node', 'sessions', 'a');
  sessionB = path.join(tmp.dir, 'node', 'sessions', 'b');
  await mkdir(sessionA, { recursive: true });
  await mkdir(sessionB, { recursive: true });
});
afterEach(async () => tmp.cleanup());

function delivery(name: string, extra: Record<string, string>, version = 1): InstallOptions {
  const files = [
    { path: 'SKILL.md', data: Buffer.from(skillMd(name)), mode: 0o644 },
    ...Object.entries(extra).map(([p, text]) => ({ path: p, data: Buffer.from(text), mode: p.endsWith('.sh') ? 0o755 : 0o644 })),
  ];
  const sha256 = skillContentHash(
    files.map((f) => ({ path: f.path, executable: (f.mode & 0o111) !== 0, sha256: createHash('sha256').update(f.data).digest('hex') })),
  );
  return { libraryRoot: library, name, version, sha256, files, links: [] };
}

describe('installSkill', () => {
  it('writes the files, links the session paths and is idempotent', async () => {
    // Session a holds a synced copy of the folder; session b has no skills folder yet.
    await writeSkill(sessionA, 'deploy', { 'run.sh': 'old copy' });
    const d = {
      ...delivery('deploy', { 'run.sh': '#!/bin/sh\necho deploy\n', 'docs/usage.md': 'usage' }, 4),
      links: [{ sessionRoot: sessionA, path: 'skills/deploy' }, { sessionRoot: sessionB, path: 'skills/deploy' }],
    };
    const first = await installSkill(d);
    expect(first.status).toBe('installed');
    expect(first.linked).toEqual([path.join(sessionA, 'skills/deploy'), path.join(sessionB, 'skills/deploy')]);
    // Session a's old run.sh differs from the delivered one: kept, not deleted.
    expect(first.kept).toEqual([expect.objectContaining({ from: path.join(sessionA, 'skills/deploy'), changed: ['run.sh'], added: [] })]);
    expect(await readFile(path.join(library, first.kept[0]!.path, 'run.sh'), 'utf8')).toBe('old copy');

    const { current } = await expectLibraryConsistent(library, 'deploy');
    expect(current).toMatchObject({ version: 4, sha256: d.sha256 });
    for (const root of [sessionA, sessionB]) {
      const site = path.join(root, 'skills/deploy');
      expect((await expectSiteConsistent(site, library, 'deploy')).kind).toBe('link');
      expect(await readlink(site)).toBe(path.join(library, 'deploy'));
      expect(await readFile(path.join(site, 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho deploy\n');
      expect((await stat(path.join(site, 'run.sh'))).mode & 0o111).not.toBe(0);
    }
    expect(await readSkillFiles(path.join(library, 'deploy'))).toEqual(
      [...d.files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => ({ ...f })),
    );

    const before = await snapshotTree(path.join(tmp.dir, 'node'));
    const again = await installSkill(d);
    expect(again).toMatchObject({ status: 'unchanged', linked: [] });
    expect(await snapshotTree(path.join(tmp.dir, 'node'))).toEqual(before);
  });

  it('keeps the replaced version and relinks nothing that already points at the library', async () => {
    const links = [{ sessionRoot: sessionA, path: 'skills/tool' }];
    await installSkill({ ...delivery('tool', { 'a.txt': 'one' }, 1), links });
    const second = await installSkill({ ...delivery('tool', { 'a.txt': 'two' }, 2), links });
    expect(second).toMatchObject({ status: 'installed', previousVersionPath: path.join(library, '.versions/tool/1'), linked: [] });
    const state = await expectLibraryConsistent(library, 'tool');
    expect(state).toMatchObject({ current: { version: 2 }, versions: [1] });
    expect(await readFile(path.join(sessionA, 'skills/tool/a.txt'), 'utf8')).toBe('two');
  });

  it('refuses a delivery that does not match its hash, before writing anything', async () => {
    const d = delivery('tool', { 'a.txt': 'one' });
    const tampered = { ...d, files: d.files.map((f) => (f.path === 'a.txt' ? { ...f, data: Buffer.from('evil') } : f)) };
    const before = await snapshotTree(tmp.dir);
    expect((await refusal(installSkill(tampered))).code).toBe('CHECKSUM_MISMATCH');
    expect(await snapshotTree(tmp.dir)).toEqual(before);
    expect((await lstat(library).catch(() => undefined))).toBeUndefined();
  });

  it('refuses paths that escape, reserved names, bad names and links leading outside', async () => {
    const base = delivery('tool', { 'a.txt': 'one' });
    const withPath = (p: string) => {
      const files = [...base.files, { path: p, data: Buffer.from('x'), mode: 0o644 }];
      return { ...base, files };
    };
    expect((await refusal(installSkill(withPath('../../escape')))).details.rule).toBe('dot-dot');
    expect((await refusal(installSkill(withPath('/etc/cron.d/x')))).details.rule).toBe('absolute');
    expect((await refusal(installSkill(withPath('.skill.json')))).details.rule).toBe('reserved');
    expect((await refusal(installSkill({ ...base, name: 'Bad_Name' }))).code).toBe('SKILL_INVALID');
    expect((await refusal(installSkill({ ...base, name: 'other' }))).code).toBe('SKILL_INVALID'); // SKILL.md names "tool"
    expect((await lstat(library).catch(() => undefined))).toBeUndefined();

    // A session whose skills folder is a planted link to elsewhere.
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(sessionB, 'skills'));
    const err = await refusal(installSkill({ ...base, links: [{ sessionRoot: sessionB, path: 'skills/tool' }] }));
    expect(err).toMatchObject({ code: 'PATH_OUTSIDE_SESSION', details: { rule: 'link' } });
    expect(await snapshotTree(elsewhere)).toEqual([]);
  });

  it('is recovered like a promotion', async () => {
    await installSkill({ ...delivery('tool', { 'a.txt': 'one' }), links: [{ sessionRoot: sessionA, path: 'skills/tool' }] });
    const report = await recoverPromotions(library, [sessionA]);
    expect(report).toEqual({ removedTemp: [], removedIncomplete: [], restored: [], sites: [] });
    await expectLibraryConsistent(library, 'tool');
  });
});
