// Recovery after a crash (run on hub or node start, before new promotions):
// incomplete copies are removed, a version whose replacement never landed is
// put back, only complete versions are kept, and every interrupted symlink
// inversion in a session is finished or rolled back (a set-aside folder that
// holds data the library copy lacks is kept, never removed). Each skill name
// is handled under its lock, so recovery is safe next to live promotions.
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../fs/durable.js';
import { discard } from './skill-commit.js';
import {
  currentPath,
  listVersions,
  tempCopyName,
  VERSIONS_DIR,
  verifySkillCopy,
  versionPath,
} from './skill-library.js';
import { readJournal, recoverSite, removeJournalEntry, type JournalEntry, type SiteRecovery } from './skill-link.js';
import { withSkillLock, type SkillLockOptions } from './skill-lock.js';
import { isValidSkillName } from './skill-manifest.js';

export interface RecoveryReport {
  /** Temporary copies removed (absolute paths). */
  removedTemp: string[];
  /** Versions that were not complete, removed (absolute paths). */
  removedIncomplete: string[];
  /** Skills whose current copy was missing and was taken back from `.versions`. */
  restored: Array<{ name: string; version: number }>;
  /** Session sites of interrupted links, and what was done to each. */
  sites: SiteRecovery[];
}

/** Conventional folder of a session's skills; scanned for leftovers no journal names. */
const SESSION_SKILLS_DIR = 'skills';

/**
 * Bring `libraryRoot` and the skill sites of `sessionRoots` back to a
 * consistent state. Lock options apply to each name's lock; a lock left by a
 * dead process is taken over after `staleMs`.
 */
export async function recoverPromotions(
  libraryRoot: string,
  sessionRoots: string[],
  options: SkillLockOptions = {},
): Promise<RecoveryReport> {
  const root = path.resolve(libraryRoot);
  const report: RecoveryReport = { removedTemp: [], removedIncomplete: [], restored: [], sites: [] };
  const names = new Set<string>();
  const sitesByName = new Map<string, Set<string>>();
  const journalByName = new Map<string, JournalEntry[]>();
  const addSite = (name: string, site: string) => {
    names.add(name);
    if (!sitesByName.has(name)) sitesByName.set(name, new Set());
    sitesByName.get(name)!.add(site);
  };

  for (const entry of await readdir(root).catch(() => [] as string[])) {
    const name = isValidSkillName(entry) ? entry : tempCopyName(entry);
    if (name) names.add(name);
  }
  for (const entry of await readdir(path.join(root, VERSIONS_DIR)).catch(() => [] as string[])) {
    if (isValidSkillName(entry)) names.add(entry);
  }
  for (const entry of await readJournal(root)) {
    addSite(entry.name, entry.sitePath);
    journalByName.set(entry.name, [...(journalByName.get(entry.name) ?? []), entry]);
  }
  for (const sessionRoot of sessionRoots) {
    const dir = path.join(path.resolve(sessionRoot), SESSION_SKILLS_DIR);
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      const match = /^\.(.+)\.(orig|link)-[0-9a-f]{12}$/.exec(entry);
      if (match && isValidSkillName(match[1])) addSite(match[1], path.join(dir, match[1]));
    }
  }

  for (const name of [...names].sort()) {
    await withSkillLock(root, name, options, async (lock) => {
      await lock.assertHeld();
      await recoverLibraryName(root, name, report);
      await lock.assertHeld();
      for (const site of [...(sitesByName.get(name) ?? [])].sort()) {
        report.sites.push(await recoverSite({ libraryRoot: root, name, sitePath: site }));
      }
      for (const entry of journalByName.get(name) ?? []) await removeJournalEntry(entry.file);
    });
  }
  return report;
}

/** Library part of recovery for one name; the caller holds its lock. */
async function recoverLibraryName(root: string, name: string, report: RecoveryReport): Promise<void> {
  for (const entry of await readdir(root).catch(() => [] as string[])) {
    if (tempCopyName(entry) !== name) continue;
    const dir = path.join(root, entry);
    await rm(dir, { recursive: true, force: true });
    report.removedTemp.push(dir);
  }
  await fsyncDir(root);

  const complete: number[] = [];
  for (const version of await listVersions(root, name)) {
    const dir = versionPath(root, name, version);
    const meta = await verifySkillCopy(dir, name);
    if (meta?.version === version) {
      complete.push(version);
    } else {
      await discard(root, name, dir);
      report.removedIncomplete.push(dir);
    }
  }

  const current = currentPath(root, name);
  const exists = await readdir(current).then(
    () => true,
    () => false,
  );
  if (exists && !(await verifySkillCopy(current, name))) {
    await discard(root, name, current);
    report.removedIncomplete.push(current);
  }
  if (!exists || report.removedIncomplete.includes(current)) {
    // The crash fell between retiring the old version and renaming the new
    // one into place: the promotion never completed, so the old version is
    // current again.
    const latest = complete[complete.length - 1];
    if (latest !== undefined) {
      await rename(versionPath(root, name, latest), current);
      await fsyncDir(path.dirname(versionPath(root, name, latest)));
      await fsyncDir(root);
      report.restored.push({ name, version: latest });
    }
  }
}
