// `rm` and `mv` on one session copy (the hub mirror or a node's), through
// checked folder handles (safe-open.ts): the entry is named through the
// handle of its folder, never through a path resolved beforehand; unlink and
// rename act on the entry itself and never follow a link there. Each change
// is durable when it returns (the folders involved are fsynced).
import type { Dirent } from 'node:fs';
import { lstat, rename, rmdir, unlink, readdir } from 'node:fs/promises';
import { MeshError, toMeshError } from '../../errors.js';
import { isTempName, tempNameFor } from './durable.js';
import { normalizeSessionPath } from './paths.js';
import { errnoOf, type ContainedDir } from './safe-open.js';
import { openDirInside } from './safe-walk.js';

/** Folders below a removed folder that are emptied; deeper ones stay in its hidden trash entry. */
const MAX_REMOVE_DEPTH = 64;

function segmentsOf(rel: string, what: string): string[] {
  const p = normalizeSessionPath(rel);
  if (p === '.') throw new MeshError('PATH_INVALID', `${what} is the session root itself; name a file or folder in it`, { rule: 'root' });
  return p.split('/');
}

async function lstatAt(dir: ContainedDir, name: string) {
  return lstat(dir.at(name)).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw toMeshError(err);
  });
}

/** Open the folder holding `segments`' last entry; undefined when a folder on the way is missing. */
async function openParent(root: string, segments: string[], want: string, create = false): Promise<ContainedDir | undefined> {
  return openDirInside(root, segments.slice(0, -1), { create, notDir: 'NOT_FOUND', want }).catch((err: unknown) => {
    if (err instanceof MeshError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  });
}

/** Empty and remove folder `name` of `parent`, entry by entry through handles; links inside are unlinked, never followed. */
async function removeTree(parent: ContainedDir, name: string, depth: number): Promise<void> {
  if (depth > MAX_REMOVE_DEPTH) return;
  const dir = await parent.openChild(name);
  try {
    for (const entry of await readdir(dir.self)) {
      const st = await lstatAt(dir, entry);
      if (st?.isDirectory()) await removeTree(dir, entry, depth + 1);
      else if (st) {
        await unlink(dir.at(entry)).catch((err: unknown) => {
          if (errnoOf(err) !== 'ENOENT') throw toMeshError(err);
        });
      }
    }
  } finally {
    await dir.close();
  }
  await rmdir(parent.at(name));
}

/**
 * Remove a file, a link (not what it points to) or, with `recursive`, a
 * folder and everything in it. A folder is first renamed to a hidden temp
 * name in its parent and the parent fsynced: from then on it is gone from
 * the session in one step, even if emptying it is cut short. Returns false
 * when the path did not exist (the caller decides whether that is an error).
 */
export async function removeInside(root: string, rel: string, recursive: boolean): Promise<boolean> {
  const segments = segmentsOf(rel, 'rm path');
  const name = segments[segments.length - 1]!;
  const dir = await openParent(root, segments, rel);
  if (!dir) return false;
  try {
    const st = await lstatAt(dir, name);
    if (!st) return false;
    await dir.located(); // refuse a folder moved out of the root since it was opened
    if (!st.isDirectory()) {
      await unlink(dir.at(name)).catch((err: unknown) => {
        if (errnoOf(err) !== 'ENOENT') throw toMeshError(err);
      });
      await dir.sync();
      return true;
    }
    if (!recursive) throw new MeshError('NOT_EMPTY', `path ${JSON.stringify(rel)} is a folder; pass recursive: true to delete it and everything in it`, { path: rel });
    const trash = tempNameFor(name, 'rm');
    await rename(dir.at(name), dir.at(trash)).catch((err: unknown) => {
      throw toMeshError(err);
    });
    await dir.sync();
    await removeTree(dir, trash, 0).catch(() => {}); // hidden already; a leftover is a transient name nobody lists
    await dir.sync().catch(() => {});
    return true;
  } finally {
    await dir.close();
  }
}

/**
 * Rename `from` to `to` (folders of `to` created as needed). An existing
 * `to` is replaced only with `overwrite`, and only when neither is a
 * folder. With `replay` (a node's copy, where the move may run again after
 * a disconnect), a missing `from` counts as done.
 */
export async function moveInside(root: string, from: string, to: string, options: { overwrite: boolean; replay?: boolean }): Promise<void> {
  const fromSeg = segmentsOf(from, 'mv source');
  const toSeg = segmentsOf(to, 'mv destination');
  const fromPath = fromSeg.join('/');
  const toPath = toSeg.join('/');
  if (fromPath === toPath) return;
  if (toPath.startsWith(`${fromPath}/`)) throw new MeshError('INVALID_ARGUMENT', `cannot move ${JSON.stringify(fromPath)} into itself (${JSON.stringify(toPath)})`);
  const fromDir = await openParent(root, fromSeg, from);
  try {
    const src = fromDir && (await lstatAt(fromDir, fromSeg[fromSeg.length - 1]!));
    const toDir = await openDirInside(root, toSeg.slice(0, -1), { create: Boolean(src), want: to }).catch((err: unknown) => {
      if (!src && err instanceof MeshError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    try {
      const dst = toDir && (await lstatAt(toDir, toSeg[toSeg.length - 1]!));
      if (!src) {
        // A copy that never had `from` (or moved it already) has nothing to move; drift brings it `to` if it lacks it.
        if (options.replay) return;
        throw new MeshError('NOT_FOUND', `path ${JSON.stringify(fromPath)} does not exist`);
      }
      if (dst) {
        if (!options.overwrite) throw new MeshError('ALREADY_EXISTS', `path ${JSON.stringify(toPath)} exists; pass overwrite: true to replace it`, { path: toPath });
        if (dst.isDirectory() || src.isDirectory()) {
          throw new MeshError('ALREADY_EXISTS', `path ${JSON.stringify(toPath)} exists and ${dst.isDirectory() ? 'is' : 'would be replaced by'} a folder; folders are never replaced`, { path: toPath });
        }
      }
      await fromDir!.located();
      await toDir!.located();
      // Security: rename moves the entries themselves; a link at either end is moved or replaced, never followed.
      await rename(fromDir!.at(fromSeg[fromSeg.length - 1]!), toDir!.at(toSeg[toSeg.length - 1]!)).catch((err: unknown) => {
        throw toMeshError(err);
      });
      await toDir!.sync();
      await fromDir!.sync();
    } finally {
      await toDir?.close();
    }
  } finally {
    await fromDir?.close();
  }
}

/**
 * Finish removals a crash cut short below `root`: folders `removeInside` had
 * hidden (`.<name>.rm-<hex>`) but not emptied. For start-up, while nothing
 * else changes the copy. Returns their paths; links are never walked into.
 */
export async function finishRemovals(root: string): Promise<string[]> {
  const done: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_REMOVE_DEPTH) return;
    const dir = await openDirInside(root, rel === '.' ? [] : rel.split('/')).catch(() => undefined);
    if (!dir) return;
    let entries: Dirent[];
    try {
      entries = await readdir(dir.self, { withFileTypes: true }).catch(() => [] as Dirent[]);
    } finally {
      await dir.close();
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue; // Dirent types do not follow links
      const child = rel === '.' ? e.name : `${rel}/${e.name}`;
      if (isTempName(e.name, 'rm')) {
        if (await removeInside(root, child, true).catch(() => false)) done.push(child);
      } else await walk(child, depth + 1);
    }
  };
  await walk('.', 0);
  return done;
}
