// Remove leftover files below a folder the mesh owns: files whose name a
// rule picks (a temp file of a durable write, a part file of a delivery the
// hub no longer has). Links are neither followed nor removed, and the walk
// is bounded in depth and in entries.
import type { Dirent } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Folders deeper than this are left alone: a bound on the walk, far past any real session layout. */
const MAX_DEPTH = 64;
/** Entries looked at in one sweep: a bound on a folder someone filled with millions of files. */
const MAX_ENTRIES = 1_000_000;

/** Folders removed whole instead of walked into (e.g. a folder `rm` hid and had not emptied). */
export interface FolderSweep {
  pick(name: string): boolean;
  /** Remove the folder at `rel` (relative to the root, `/`-separated). */
  remove(rel: string): Promise<void>;
}

/**
 * Remove the regular files below `root` for which `pick(name)` is true, and
 * the folders `folders` picks; returns their paths relative to `root`.
 */
export async function sweepFiles(root: string, pick: (name: string) => boolean, folders?: FolderSweep): Promise<string[]> {
  const removed: string[] = [];
  let seen = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable: nothing of ours to sweep there
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      const full = path.join(dir, e.name);
      // Security: Dirent types come from lstat semantics, so a planted link to a folder elsewhere is never walked into.
      if (e.isDirectory() && folders?.pick(e.name)) {
        await folders.remove(path.relative(root, full).split(path.sep).join('/')).then(
          () => removed.push(path.relative(root, full)),
          () => {},
        );
      } else if (e.isDirectory()) await walk(full, depth + 1);
      else if (e.isFile() && pick(e.name)) {
        // unlink removes the entry itself and never follows anything.
        await unlink(full).then(
          () => removed.push(path.relative(root, full)),
          () => {},
        );
      }
    }
  };
  await walk(root, 0);
  return removed;
}
