// At hub start, before anything is served: remove the temp files a crash left
// in the session mirrors. A durable write creates `.<name>.tmp-<hex12>` beside
// its target and renames it over the target; a hub killed between the two
// leaves the temp file behind, and nothing alive will ever commit it (a push
// whose mirror step was cut short makes it again from its staged data).
import type { Logger } from '../../log.js';
import { isTempName } from '../fs/durable.js';
import { removeInside } from '../fs/remove-move.js';
import { sweepFiles } from '../fs/sweep.js';

/**
 * Remove temp files below `root` (a session mirror); returns the paths
 * removed, relative to `root`. Call only while no write is in flight (hub
 * start). Links are neither followed nor removed: a link is not a temp file
 * the hub made, and a linked folder (a promoted skill) is the library's.
 */
export async function sweepMirrorTemps(root: string, log?: Logger): Promise<string[]> {
  const removed = await sweepFiles(root, (name) => isTempName(name), {
    pick: (name) => isTempName(name, 'rm'),
    // A folder `rm` had hidden (renamed) but not yet emptied when the hub stopped: finish the removal.
    remove: async (rel) => void (await removeInside(root, rel, true)),
  });
  if (removed.length > 0) log?.info({ root, removed: removed.length }, 'removed temp files left in the mirror by an earlier crash');
  return removed;
}
