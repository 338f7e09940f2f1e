// Recovery from library and session states a crash (or a damaged disk) can
// leave, built by hand so each rule is checked on its own.
import { mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promoteSkill } from '../../../src/mesh/skills/skill-promote.js';
import { recoverPromotions } from '../../../src/mesh/skills/skill-recover.js';
import { expectLibraryConsistent, expectSiteConsistent, makeTemp, snapshotTree, writeSkill } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let library: string;
let session: string;

beforeEach(async () => {
  tmp = await makeTemp('recover');
  library = path.join(tmp.dir, 'library');
  session = path.join(tmp.dir, 'session');
  await mkdir(session, { recursive: true });
});
afterEach(async () => tmp.cleanup());

/** Promote three versions of "tool" from three sessions; the first session keeps a link. */
async function threeVersions(): Promise<void> {
  for (const v of [1, 2, 3]) {
    const root = v === 1 ? session : path.join(tmp.dir, `other-${v}`);
    await mkdir(root, { recursive: true });
    const rel = await writeSkill(root, 'tool', { 'v.txt': `v${v}` });
    await promoteSkill({ sessionRoot: root, sessionName: `s${v}`, skillPath: rel, libraryRoot: library, replace: true });
  }
}

describe('recoverPromotions', () => {
  it('does nothing on a consistent library', async () => {
    await threeVersions();
    const before = await snapshotTree(tmp.dir);
    expect(await recoverPromotions(library, [session])).toEqual({ removedTemp: [], removedIncomplete: [], restored: [], sites: [] });
    expect(await snapshotTree(tmp.dir)).toEqual(before);
  });

  it('removes incomplete copies and versions whose content no longer matches', async () => {
    await threeVersions();
    await mkdir(path.join(library, '.tmp-tool-0123456789ab'));
    await writeFile(path.join(library, '.tmp-tool-0123456789ab', 'half.txt'), 'half');
    await writeFile(path.join(library, '.versions/tool/1/v.txt'), 'damaged');
    const report = await recoverPromotions(library, [session]);
    expect(report.removedTemp).toEqual([path.join(library, '.tmp-tool-0123456789ab')]);
    expect(report.removedIncomplete).toEqual([path.join(library, '.versions/tool/1')]);
    const state = await expectLibraryConsistent(library, 'tool');
    expect(state).toMatchObject({ current: { version: 3 }, versions: [2] });
  });

  it('puts the newest complete version back when the current copy is missing or damaged', async () => {
    await threeVersions();
    // A crash between retiring version 3 and renaming version 4 into place.
    await rename(path.join(library, 'tool'), path.join(library, '.versions/tool/3'));
    let report = await recoverPromotions(library, [session]);
    expect(report.restored).toEqual([{ name: 'tool', version: 3 }]);
    expect((await expectLibraryConsistent(library, 'tool')).current.version).toBe(3);

    await writeFile(path.join(library, 'tool', 'extra.txt'), 'not part of version 3');
    report = await recoverPromotions(library, [session]);
    expect(report.removedIncomplete).toEqual([path.join(library, 'tool')]);
    expect(report.restored).toEqual([{ name: 'tool', version: 2 }]);
    expect(await readFile(path.join(session, 'skills/tool/v.txt'), 'utf8')).toBe('v2');
  });

  it('finishes or rolls back session sites that no journal names', async () => {
    await threeVersions();
    const skills = path.join(session, 'skills');
    // A working link with a leftover aside: the aside goes.
    await writeSkill(session, 'tool', {}, { rel: 'skills/.tool.orig-aaaaaaaaaaaa' });
    // A missing site with its aside: the aside comes back. A prepared link goes.
    await writeSkill(session, 'gone', { 'keep.txt': 'keep' }, { rel: 'skills/.gone.orig-bbbbbbbbbbbb' });
    await symlink(path.join(library, 'tool'), path.join(skills, '.gone.link-cccccccccccc'));
    const report = await recoverPromotions(library, [session]);
    expect(report.sites).toEqual([
      { sitePath: path.join(skills, 'gone'), restored: true, removedAsides: 0, removedTempLinks: 1, kept: [], keptInLibrary: [] },
      // The aside holds nothing the library copy lacks (its SKILL.md is the same): removed.
      { sitePath: path.join(skills, 'tool'), restored: false, removedAsides: 1, removedTempLinks: 0, kept: [], keptInLibrary: [] },
    ]);
    expect((await readdir(skills)).sort()).toEqual(['gone', 'tool']);
    expect(await readFile(path.join(skills, 'gone/keep.txt'), 'utf8')).toBe('keep');
    expect((await expectSiteConsistent(path.join(skills, 'tool'), library, 'tool')).kind).toBe('link');
  });
});
