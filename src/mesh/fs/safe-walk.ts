// Walking a relative path from a root through checked folder handles
// (safe-open.ts): the folders of a path one segment at a time, an existing
// file or folder for reading (links inside followed, each hop walked and
// checked again), and the helpers the skills module resolves its sites with.
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { linkError, normalizeSessionPath } from './paths.js';
import { ContainedDir, type LinkScope, type StepOptions } from './safe-open.js';

/** Links followed in a row at the last segment of a read before it counts as a loop. */
const MAX_LINK_HOPS = 8;

/** Open the folder `segments` below `root`, one verified segment at a time; `scope` only for reads. */
export async function openDirInside(root: string, segments: readonly string[], options: StepOptions & { scope?: LinkScope } = {}): Promise<ContainedDir> {
  let dir = await ContainedDir.openRoot(root, options.scope);
  try {
    for (const segment of segments) {
      const next = await dir.openChild(segment, options);
      // Closed off the caller's path: nothing waits for it, and close() never rejects.
      void dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close();
    throw err;
  }
}

/** An existing file (opened read-only) or folder below a root. Close it. */
export interface OpenedEntry {
  stat: Stats;
  file?: FileHandle;
  dir?: ContainedDir;
  close(): Promise<void>;
}

/**
 * Open an existing file or folder below `root` for reading. Links that
 * resolve inside are followed (walked again from the root, each step
 * checked); links to outside, broken links and loops are PATH_OUTSIDE_SESSION
 * rule `link`; FIFOs, sockets and devices PATH_SPECIAL_FILE; missing NOT_FOUND.
 * `scope` admits links to elsewhere too (a promoted skill in the library):
 * the walk then goes on from the folder the scope names, checked the same way.
 */
export async function openExistingInside(root: string, rel: string, scope?: LinkScope): Promise<OpenedEntry> {
  const normalized = normalizeSessionPath(rel);
  let segments = normalized === '.' ? [] : normalized.split('/');
  let from = root;
  for (let hops = 0; ; hops++) {
    if (segments.length === 0) {
      const dir = await ContainedDir.openRoot(from, scope);
      return { stat: await dir.stat(), dir, close: () => dir.close() };
    }
    const parent = await openDirInside(from, segments.slice(0, -1), { notDir: 'NOT_FOUND', want: rel, scope });
    let opened: Awaited<ReturnType<ContainedDir['openEntry']>>;
    try {
      opened = await parent.openEntry(segments[segments.length - 1]!, rel);
    } finally {
      void parent.close(); // off the caller's path, as in openDirInside
    }
    if (!('link' in opened)) {
      const { stat: st, file, dir } = opened;
      return { stat: st, file, dir, close: async () => void (await (file ?? dir)?.close().catch(() => {})) };
    }
    if (hops >= MAX_LINK_HOPS) throw linkError(rel, 'goes through a link loop');
    // openEntry admitted the target, so one of the two roots holds it.
    const base = parent.rootFor(opened.link);
    if (base === undefined) throw linkError(rel, 'resolves through a link to outside the session root');
    from = base;
    const inner = path.relative(base, opened.link);
    segments = inner === '' ? [] : inner.split(path.sep);
  }
}

/**
 * The real path of the parent folder of `segments` below `realRoot`, joined
 * with the last segment (which is not resolved: callers decide what a link
 * there means). Links among the parents must stay inside (rule `link`); a
 * missing parent is NOT_FOUND.
 */
export async function realParentInside(realRoot: string, segments: readonly string[]): Promise<string> {
  const dir = await openDirInside(realRoot, segments.slice(0, -1), { notDir: 'NOT_FOUND', want: segments.join('/') });
  try {
    return path.join(await dir.located(), segments[segments.length - 1]!);
  } finally {
    await dir.close();
  }
}

/**
 * Create the folders of `segments` below `realRoot` one at a time (0700,
 * each parent fsynced) and return the real path of the last one. An
 * existing link among them must lead to a folder inside (rule `link`); a
 * file in the way is NOT_A_DIRECTORY.
 */
export async function ensureDirInside(realRoot: string, segments: readonly string[]): Promise<string> {
  const dir = await openDirInside(realRoot, segments, { create: true, want: segments.join('/') });
  try {
    return await dir.located();
  } finally {
    await dir.close();
  }
}
