// A bounded walk below a path of a session copy, through checked folder
// handles (safe-open.ts), for `find`, `grep` and `ls` with a depth. Links
// are reported but never followed (no loops, nothing outside), temp and part
// files are skipped, and the walk stops at a depth, an entry count or a
// deadline, saying so.
import type { Dirent } from 'node:fs';
import { lstat, readdir, type FileHandle } from 'node:fs/promises';
import { toMeshError } from '../../errors.js';
import type { Entry } from '../protocol/frames.js';
import { isTransientName } from './manifest.js';
import type { ContainedDir } from './safe-open.js';
import { openExistingInside } from './safe-walk.js';

/** Entries one walk may visit, whatever the caller asks: bounds time and memory on a huge tree. */
export const MAX_WALK_ENTRIES = 200_000;
/** Folders below the start a walk descends at most (also bounds open handles: one per level). */
export const MAX_WALK_DEPTH = 64;

export interface WalkedEntry {
  /** Relative to the session root. */
  path: string;
  type: Entry['type'];
  /** Folders below the start: 1 for the start's own entries. */
  depth: number;
  /** size and mtime, on demand (an lstat through the folder handle). */
  stat(): Promise<{ size: number; mtimeMs: number }>;
  /** A regular file opened read-only through its checked handle, or undefined (not a file any more). Close it. */
  open(): Promise<FileHandle | undefined>;
}

export interface WalkOptions {
  /** Deepest level visited (1: the start's entries only); capped at MAX_WALK_DEPTH. */
  maxDepth?: number;
  /** ms since the epoch after which the walk stops. */
  deadline?: number;
}

export interface WalkEnd {
  /** The walk stopped early: an entry bound or the deadline (`timedOut`). */
  truncated: boolean;
  timedOut: boolean;
}

function typeOf(d: Dirent): Entry['type'] {
  return d.isFile() ? 'file' : d.isDirectory() ? 'directory' : d.isSymbolicLink() ? 'symlink' : 'other';
}

/**
 * Visit every entry below `rel` (a folder, or a single file) in name order,
 * depth first. `visit` returns false to stop. The start itself is not visited
 * unless it is a file.
 */
export async function walkInside(root: string, rel: string, options: WalkOptions, visit: (e: WalkedEntry) => Promise<boolean>): Promise<WalkEnd> {
  const maxDepth = Math.min(options.maxDepth || MAX_WALK_DEPTH, MAX_WALK_DEPTH);
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const start = await openExistingInside(root, rel);
  const end: WalkEnd = { truncated: false, timedOut: false };
  let seen = 0;
  try {
    if (start.file) {
      const handle = start.file;
      const size = start.stat.size;
      const mtimeMs = Math.trunc(start.stat.mtimeMs);
      let given = false;
      await visit({
        path: rel,
        type: 'file',
        depth: 0,
        stat: async () => ({ size, mtimeMs }),
        // The start's own handle, handed over once (closing it twice is harmless).
        open: async () => (given ? undefined : ((given = true), handle)),
      });
      return end;
    }
    const dir = start.dir!;
    const prefix = rel === '.' ? '' : `${rel}/`;
    // One handle per level; each is closed before its parent's next entry.
    const descend = async (folder: ContainedDir, base: string, depth: number): Promise<boolean> => {
      const entries = (await readdir(folder.self, { withFileTypes: true }).catch(() => [] as Dirent[]))
        .filter((d) => !isTransientName(d.name))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const d of entries) {
        if (++seen > MAX_WALK_ENTRIES) {
          end.truncated = true;
          return false;
        }
        if (Date.now() > deadline) {
          end.truncated = end.timedOut = true;
          return false;
        }
        const type = typeOf(d);
        const entryPath = `${base}${d.name}`;
        const keep = await visit({
          path: entryPath,
          type,
          depth,
          stat: async () => {
            const st = await lstat(folder.at(d.name)).catch(() => undefined);
            return { size: st?.isFile() ? st.size : 0, mtimeMs: Math.trunc(st?.mtimeMs ?? 0) };
          },
          open: async () => {
            if (type !== 'file') return undefined;
            const opened = await folder.openEntry(d.name, entryPath).catch(() => undefined);
            if (opened && 'file' in opened && opened.file) return opened.file;
            // A folder now, or a link planted since the listing: not read.
            if (opened && 'dir' in opened) await opened.dir?.close();
            return undefined;
          },
        });
        if (!keep) return false;
        if (type === 'directory' && depth < maxDepth) {
          const child = await folder.openChild(d.name).catch(() => undefined);
          if (!child) continue; // gone, or swapped for something the checks refuse
          try {
            if (!(await descend(child, `${entryPath}/`, depth + 1))) return false;
          } finally {
            await child.close();
          }
        } else if (type === 'directory' && depth >= maxDepth && maxDepth === MAX_WALK_DEPTH) {
          end.truncated = true;
        }
      }
      return true;
    };
    await descend(dir, prefix, 1);
    return end;
  } catch (err) {
    throw toMeshError(err);
  } finally {
    await start.close();
  }
}
