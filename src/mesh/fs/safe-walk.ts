// Walking a relative path from a root through checked folder handles
// (safe-open.ts): the folders of a path one segment at a time, an existing
// file or folder for reading (links inside followed, each hop walked and
// checked again), and the helpers the skills module resolves its sites with.
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { linkError, normalizeSessionPath } from './paths.js';
import type { RootHandles } from './root-handles.js';
import { ContainedDir, type LinkScope, type StepOptions } from './safe-open.js';

/** Links followed in a row at the last segment of a read before it counts as a loop. */
const MAX_LINK_HOPS = 8;

/** Open the folder `segments` below `root`, one verified segment at a time; `scope` only for reads. */
export async function openDirInside(root: string, segments: readonly string[], options: StepOptions & { scope?: LinkScope } = {}): Promise<ContainedDir> {
  return openDirFrom(await ContainedDir.openRoot(root, options.scope), segments, options);
}

/** openDirInside from an open folder `start`, which this closes (or gives back) once past it. */
async function openDirFrom(start: ContainedDir, segments: readonly string[], options: StepOptions): Promise<ContainedDir> {
  let dir = start;
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
export async function openExistingInside(root: string, rel: string, scope?: LinkScope, roots?: RootHandles): Promise<OpenedEntry> {
  const normalized = normalizeSessionPath(rel);
  let segments = normalized === '.' ? [] : normalized.split('/');
  let from = root;
  for (let hops = 0; ; hops++) {
    const step = await fromRoot(from, scope, roots, (start, rootStat) => openStep(start, rootStat, segments, rel));
    if (!('link' in step)) return step;
    if (hops >= MAX_LINK_HOPS) throw linkError(rel, 'goes through a link loop');
    // openEntry admitted the target, so one of the two roots holds it.
    const base = step.rootFor(step.link);
    if (base === undefined) throw linkError(rel, 'resolves through a link to outside the session root');
    from = base;
    const inner = path.relative(base, step.link);
    segments = inner === '' ? [] : inner.split(path.sep);
  }
}

type Step = OpenedEntry | { link: string; rootFor(where: string): string | undefined };

/** One walk of openExistingInside from an open root: the entry, or the real target of a link met at the last segment. */
async function openStep(start: ContainedDir, rootStat: () => Promise<Stats>, segments: readonly string[], rel: string): Promise<Step> {
  if (segments.length === 0) {
    let st: Stats;
    try {
      st = await rootStat();
    } catch (err) {
      await start.close();
      throw err;
    }
    return { stat: st, dir: start, close: () => start.close() };
  }
  const parent = await openDirFrom(start, segments.slice(0, -1), { notDir: 'NOT_FOUND', want: rel });
  let opened: Awaited<ReturnType<ContainedDir['openEntry']>>;
  try {
    opened = await parent.openEntry(segments[segments.length - 1]!, rel);
  } finally {
    void parent.close(); // off the caller's path, as in openDirFrom
  }
  if ('link' in opened) return { link: opened.link, rootFor: (where) => parent.rootFor(where) };
  const { stat: st, file, dir } = opened;
  return { stat: st, file, dir, close: async () => void (await (file ?? dir)?.close().catch(() => {})) };
}

/**
 * Run `walk` from the root folder `from`: one opened now, or one kept in
 * `roots` and checked while the walk runs. When that check finds the kept
 * root stale, the walk's answer (or error) is dropped and the walk runs
 * again from a root opened now, so the answer is always a fresh root's.
 */
async function fromRoot(
  from: string,
  scope: LinkScope | undefined,
  roots: RootHandles | undefined,
  walk: (start: ContainedDir, rootStat: () => Promise<Stats>) => Promise<Step>,
): Promise<Step> {
  if (!roots) {
    const dir = await ContainedDir.openRoot(from, scope);
    return walk(dir, () => dir.stat());
  }
  const lent = await roots.borrow(from, scope);
  const rootStat = async () => (await lent.rootStat) ?? lent.dir.stat();
  let step: Step;
  try {
    step = await walk(lent.dir, rootStat);
  } catch (err) {
    if (await lent.current) throw err;
    return fromRoot(from, scope, undefined, walk);
  }
  if (await lent.current) return step;
  if (!('link' in step)) await step.close();
  return fromRoot(from, scope, undefined, walk);
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
