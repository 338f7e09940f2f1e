// Never delete what differs: a session entry set aside by symlink inversion
// is removed only when the library copy the new link points to holds every
// file of it, byte for byte. Otherwise the entry is moved whole (one rename
// on the same file system, made durable) to `<library>/.kept/<name>/<id>/`
// and reported. Used by `linkSite` and by recovery after a crash.
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureDirDurable, renameDurable } from '../fs/durable.js';
import { diffAside, KEPT_LIST_MAX, keptFolderName, type AsideEntry, type LibraryFileDigest } from './skill-aside-rules.js';
import { hashFile, walkSkillTree } from './skill-files.js';
import { keptPath } from './skill-library.js';
import { DEFAULT_SKILL_LIMITS, type SkillLimits } from './skill-manifest.js';

/** A set-aside session entry that held data the library copy lacks, kept instead of removed. */
export interface KeptFolder {
  /**
   * Where it is now: relative to the library root ("/" separators, under
   * `.kept/`), or absolute when it could not be moved there and was left
   * beside the session path (another file system).
   */
  path: string;
  /** The session path it was set aside from (absolute). */
  from: string;
  /** Its files the library copy holds with other bytes (at most KEPT_LIST_MAX listed). */
  changed: string[];
  /** Its files the library copy does not have (at most KEPT_LIST_MAX listed); "." when the entry is not a folder. */
  added: string[];
  /** The comparison stopped early (more entries or depth than a skill may have, or a read failed); kept regardless. */
  incomplete: boolean;
}

export interface AsideComparison {
  changed: string[];
  added: string[];
  incomplete: boolean;
  /** Nothing would be lost by removing the entry. */
  identical: boolean;
}

/** Library files by path, hashed on demand. */
async function libraryDigests(libraryCopy: string, limits: SkillLimits): Promise<Map<string, LibraryFileDigest & { source: string }>> {
  const files = await walkSkillTree(libraryCopy, { limits });
  return new Map(files.map((f) => [f.path, { size: f.size, source: f.source }]));
}

/**
 * Compare the set-aside entry `aside` with the library copy `libraryCopy`.
 * Bounded: at most twice the files a skill may have are visited, and a file
 * is hashed only when the library has one of the same path and size, so no
 * more bytes are read than the library copy holds (twice).
 */
export async function compareAside(aside: string, libraryCopy: string, limits: SkillLimits = DEFAULT_SKILL_LIMITS): Promise<AsideComparison> {
  const unsure = (extra: Partial<AsideComparison> = {}): AsideComparison => ({ changed: [], added: [], identical: false, incomplete: true, ...extra });
  let library: Map<string, LibraryFileDigest & { source: string }>;
  try {
    library = await libraryDigests(libraryCopy, limits);
  } catch {
    return unsure(); // a library copy we cannot read proves nothing
  }
  const top = await lstat(aside).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!top) return { changed: [], added: [], identical: true, incomplete: false }; // nothing left to lose
  if (!top.isDirectory()) {
    return { changed: [], added: ['.'], identical: false, incomplete: false };
  }
  const entries: AsideEntry[] = [];
  const budget = limits.maxFiles * 2;
  let visited = 0;
  let incomplete = false;
  const stack: Array<{ dir: string; prefix: string; depth: number }> = [{ dir: aside, prefix: '', depth: 0 }];
  try {
    walk: while (stack.length > 0) {
      const { dir, prefix, depth } = stack.pop()!;
      for (const dirent of await readdir(dir, { withFileTypes: true })) {
        if (++visited > budget) {
          incomplete = true;
          break walk;
        }
        const rel = prefix ? `${prefix}/${dirent.name}` : dirent.name;
        const abs = path.join(dir, dirent.name);
        // Security: types come from the directory entry (lstat semantics), so
        // a planted link ("notes -> ~/.ssh/id_ed25519") is reported as a link,
        // never read, and never taken for the library file of the same name.
        if (dirent.isDirectory()) {
          if (depth + 1 > limits.maxDepth) {
            incomplete = true;
            break walk;
          }
          stack.push({ dir: abs, prefix: rel, depth: depth + 1 });
        } else if (dirent.isFile()) {
          entries.push(await fileEntry(abs, rel, library.get(rel), limits));
        } else {
          entries.push({ path: rel, kind: dirent.isSymbolicLink() ? 'link' : 'special', size: 0 });
        }
      }
    }
  } catch {
    incomplete = true;
  }
  const diff = diffAside(entries, library);
  return {
    changed: diff.changed.slice(0, KEPT_LIST_MAX),
    added: diff.added.slice(0, KEPT_LIST_MAX),
    incomplete,
    identical: !incomplete && diff.changed.length === 0 && diff.added.length === 0,
  };
}

async function fileEntry(abs: string, rel: string, lib: (LibraryFileDigest & { source: string }) | undefined, limits: SkillLimits): Promise<AsideEntry> {
  const { size } = await lstat(abs);
  const entry: AsideEntry = { path: rel, kind: 'file', size };
  if (!lib || lib.size !== size) return entry;
  // A file that cannot be read whole (grew past the limit, vanished) stays
  // without a hash and so counts as changed: kept, never removed.
  entry.sha256 = await hashFile(abs, limits.maxBytes).then((d) => (d.size === size ? d.sha256 : undefined), () => undefined);
  lib.sha256 ??= await hashFile(lib.source, limits.maxBytes).then((d) => d.sha256, () => undefined);
  return entry;
}

export interface SettleOptions {
  libraryRoot: string;
  name: string;
  /** The set-aside entry (absolute). */
  aside: string;
  /** The session path it was set aside from (absolute). */
  sitePath: string;
  /** The library copy the session path now links to. */
  target: string;
  limits?: SkillLimits;
}

/**
 * Remove the set-aside entry when nothing in it would be lost; otherwise
 * move it to `.kept/` in the library and return where it went. The caller
 * holds the skill's lock. A crash before the rename leaves the aside where
 * recovery looks for it (and compares again); after it, the entry is kept.
 */
export async function settleAside(options: SettleOptions): Promise<KeptFolder | undefined> {
  const { aside, sitePath } = options;
  const comparison = await compareAside(aside, options.target, options.limits);
  if (comparison.identical) {
    // Security: rm does not follow links, so links inside the old folder
    // cannot make this remove anything outside it.
    await rm(aside, { recursive: true, force: true });
    return undefined;
  }
  const { changed, added, incomplete } = comparison;
  const dir = keptPath(options.libraryRoot, options.name);
  const dest = path.join(dir, keptFolderName(sitePath, new Date(), randomBytes(3).toString('hex')));
  try {
    await ensureDirDurable(dir);
    await renameDurable(aside, dest);
  } catch (err) {
    // Another file system (EXDEV) or a library we cannot write: the entry
    // stays beside the session path, where recovery tries again. Never removed.
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    return { path: aside, from: sitePath, changed, added, incomplete };
  }
  return { path: path.relative(path.resolve(options.libraryRoot), dest).split(path.sep).join('/'), from: sitePath, changed, added, incomplete };
}
