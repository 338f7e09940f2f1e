// Symlink inversion: the skill folder in a session is replaced by a link to
// the library copy. rename(2) cannot put a link over a non-empty folder, so
// the folder is first renamed aside (`.<name>.orig-<hex>`), then a prepared
// link (`.<name>.link-<hex>`) is renamed into place, then the aside is
// removed if the library copy holds all of it, or kept in the library's
// `.kept/` otherwise (skill-keep.ts). A journal entry in the library names
// the site first, so recovery after a crash between any two steps knows
// where to look.
import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, realpath, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, renameDurable, tempPathFor, writeFileDurable } from '../fs/durable.js';
import { settleAside, type KeptFolder } from './skill-keep.js';
import { currentPath } from './skill-library.js';
import type { SkillLock } from './skill-lock.js';
import { isValidSkillName } from './skill-manifest.js';

export const JOURNAL_DIR = '.journal';

/** `kept` is reached only when the set-aside entry held data the library copy lacks. */
export type LinkStep = 'set-aside' | 'linked' | 'kept';

export interface LinkOutcome {
  /** False when the link was already there. */
  linked: boolean;
  /** The replaced session entry, when it held data the library copy lacks. */
  kept: KeptFolder[];
}

export interface JournalEntry {
  name: string;
  /** Absolute path of the session entry being replaced by a link. */
  sitePath: string;
  /** Absolute path of the journal file itself. */
  file: string;
}

/** True when `sitePath` is a link that resolves to the folder `target`. */
export async function isLinkTo(sitePath: string, target: string): Promise<boolean> {
  const info = await lstat(sitePath).catch(() => undefined);
  if (!info?.isSymbolicLink()) return false;
  const [a, b] = await Promise.all([realpath(sitePath).catch(() => ''), realpath(target).catch(() => undefined)]);
  return a === b;
}

/**
 * Replace `sitePath` (a folder, a file, a link elsewhere, or nothing) by a
 * link to the current library copy of `name`. The caller holds the skill's
 * lock; it is checked before every rename. Nothing the session entry held is
 * lost: what the library copy lacks is kept and reported.
 */
export async function linkSite(options: {
  libraryRoot: string;
  name: string;
  sitePath: string;
  lock: SkillLock;
  stepHook?: (step: LinkStep) => Promise<void>;
}): Promise<LinkOutcome> {
  const { libraryRoot, name, sitePath, lock } = options;
  const target = currentPath(libraryRoot, name);
  const outcome: LinkOutcome = { linked: true, kept: [] };
  if (await isLinkTo(sitePath, target)) return { linked: false, kept: [] };
  const dir = path.dirname(sitePath);
  const journal = path.join(path.resolve(options.libraryRoot), JOURNAL_DIR, `${options.name}-${randomBytes(6).toString('hex')}.json`);
  await lock.assertHeld();
  await writeFileDurable(journal, JSON.stringify({ name: options.name, sitePath }));

  try {
    const tempLink = tempPathFor(sitePath, 'link');
    await symlink(target, tempLink, 'dir');
    let aside: string | undefined;
    if (await lstat(sitePath).then(() => true, () => false)) {
      aside = tempPathFor(sitePath, 'orig');
      await lock.assertHeld();
      await renameDurable(sitePath, aside);
      await options.stepHook?.('set-aside');
    }
    await lock.assertHeld();
    await rename(tempLink, sitePath);
    await fsyncDir(dir);
    await options.stepHook?.('linked');
    if (aside) {
      await lock.assertHeld();
      const kept = await settleAside({ libraryRoot, name, aside, sitePath, target });
      if (kept) {
        outcome.kept.push(kept);
        await options.stepHook?.('kept');
      }
    }
  } catch (err) {
    // Put the site back in a clean state while the lock is still ours; a
    // lost lock means another process owns the site now, so leave it to
    // recovery.
    if (await lock.assertHeld().then(() => true, () => false)) {
      await recoverSite({ libraryRoot, name, sitePath }).catch(() => {});
      await removeJournalEntry(journal).catch(() => {});
    }
    throw err;
  }
  await removeJournalEntry(journal);
  return outcome;
}

export async function removeJournalEntry(file: string): Promise<void> {
  await rm(file, { force: true });
  await fsyncDir(path.dirname(file)).catch(() => {});
}

/** Entries of the library's journal; malformed files and write leftovers are removed. */
export async function readJournal(libraryRoot: string): Promise<JournalEntry[]> {
  const dir = path.join(path.resolve(libraryRoot), JOURNAL_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries: JournalEntry[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    const data = name.endsWith('.json') && !name.startsWith('.') ? await readFile(file, 'utf8').catch(() => undefined) : undefined;
    let entry: { name?: unknown; sitePath?: unknown } | undefined;
    try {
      entry = data === undefined ? undefined : JSON.parse(data);
    } catch {
      entry = undefined;
    }
    if (entry && isValidSkillName(entry.name) && typeof entry.sitePath === 'string' && path.isAbsolute(entry.sitePath)) {
      entries.push({ name: entry.name, sitePath: entry.sitePath, file });
    } else {
      await rm(file, { force: true });
    }
  }
  return entries;
}

export interface SiteRecovery {
  sitePath: string;
  /** The folder set aside was renamed back because no link replaced it. */
  restored: boolean;
  /** Set-aside folders removed because the link is in place and the library copy holds all they held. */
  removedAsides: number;
  /** Prepared links that were never renamed into place. */
  removedTempLinks: number;
  /** Leftovers kept because the state around them is not one this module produces. */
  kept: string[];
  /** Set-aside folders moved to the library's `.kept/` because they held data the library copy lacks. */
  keptInLibrary: KeptFolder[];
}

function leftovers(entries: string[], base: string, tag: 'orig' | 'link'): string[] {
  const prefix = `.${base}.${tag}-`;
  return entries.filter((e) => e.startsWith(prefix) && /^[0-9a-f]{12}$/.test(e.slice(prefix.length)));
}

/**
 * Finish or roll back an interrupted inversion at `sitePath`: with a working
 * link to the library copy of `name` in place, each aside is removed if the
 * copy holds all of it and kept in `.kept/` otherwise; with nothing (or a
 * dangling link) in place, the aside is renamed back. Prepared links are
 * removed. The caller holds the skill's lock.
 */
export async function recoverSite(site: { libraryRoot: string; name: string; sitePath: string }): Promise<SiteRecovery> {
  const { libraryRoot, name, sitePath } = site;
  const target = currentPath(libraryRoot, name);
  const report: SiteRecovery = { sitePath, restored: false, removedAsides: 0, removedTempLinks: 0, kept: [], keptInLibrary: [] };
  const dir = path.dirname(sitePath);
  const base = path.basename(sitePath);
  const entries = await readdir(dir).catch(() => [] as string[]);
  const asides = leftovers(entries, base, 'orig').map((e) => path.join(dir, e));
  const tempLinks = leftovers(entries, base, 'link').map((e) => path.join(dir, e));
  const info = await lstat(sitePath).catch(() => undefined);
  const working = info !== undefined && (await stat(sitePath).then(() => true, () => false));

  if (info?.isSymbolicLink() && (await isLinkTo(sitePath, target))) {
    for (const aside of asides) {
      const kept = await settleAside({ libraryRoot, name, aside, sitePath, target });
      if (kept) report.keptInLibrary.push(kept);
      else report.removedAsides++;
    }
  } else if ((!info || !working) && asides.length > 0) {
    if (info) await unlink(sitePath); // a dangling link, never a folder
    const [first, ...rest] = asides;
    await rename(first!, sitePath);
    report.restored = true;
    report.kept.push(...rest);
  } else {
    report.kept.push(...asides);
  }
  for (const link of tempLinks) {
    if ((await lstat(link)).isSymbolicLink()) {
      await unlink(link);
      report.removedTempLinks++;
    } else {
      report.kept.push(link);
    }
  }
  if (report.restored || report.removedAsides > 0 || report.removedTempLinks > 0) await fsyncDir(dir);
  return report;
}
