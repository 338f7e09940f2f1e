// At hub start, before anything is served: remove the temp files a crash left
// in the session mirrors. A durable write creates `.<name>.tmp-<hex12>` beside
// its target and renames it over the target; a hub killed between the two
// leaves the temp file behind, and nothing alive will ever commit it (a push
// whose mirror step was cut short makes it again from its staged data).
import type { Dirent } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { isTempName } from '../fs/durable.js';
import { removeInside } from '../fs/remove-move.js';

/** Folders deeper than this are left alone: a bound on the walk, far past any real session layout. */
const MAX_DEPTH = 64;

/**
 * Remove temp files below `root` (a session mirror); returns the paths
 * removed, relative to `root`. Call only while no write is in flight (hub
 * start). Links are neither followed nor removed: a link is not a temp file
 * the hub made, and a linked folder (a promoted skill) is the library's.
 */
export async function sweepMirrorTemps(root: string, log?: Logger): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable: nothing of ours to sweep there
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      // Security: Dirent types come from lstat semantics, so a planted link to a folder elsewhere is never walked into.
      if (e.isDirectory() && isTempName(e.name, 'rm')) {
        // A folder `rm` had hidden (renamed) but not yet emptied when the hub stopped: finish the removal.
        await removeInside(root, path.relative(root, full).split(path.sep).join('/'), true).then(
          () => removed.push(path.relative(root, full)),
          () => {},
        );
      } else if (e.isDirectory()) await walk(full, depth + 1);
      else if (e.isFile() && isTempName(e.name)) {
        // unlink removes the entry itself and never follows anything.
        await unlink(full).then(
          () => removed.push(path.relative(root, full)),
          () => {},
        );
      }
    }
  };
  await walk(root, 0);
  if (removed.length > 0) log?.info({ root, removed: removed.length }, 'removed temp files left in the mirror by an earlier crash');
  return removed;
}
