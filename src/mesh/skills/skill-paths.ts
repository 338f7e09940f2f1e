// Path rules of the skills module: relative paths as sent by callers and
// nodes, and containment of resolved paths inside a root. The rules are pure;
// `realParentInside` and `ensureDirInside` are the only I/O and resolve real
// paths before any comparison.
import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { fsyncDir } from '../fs/durable.js';

/**
 * Segments of a relative path ("/" separators; "." and empty segments are
 * dropped). Throws PATH_INVALID for empty or NUL-carrying input and
 * PATH_OUTSIDE_SESSION (details.rule 'absolute' or 'dot-dot') for escapes.
 */
export function relativeSegments(input: unknown, what = 'path'): string[] {
  if (typeof input !== 'string' || input.length === 0) {
    throw new MeshError('PATH_INVALID', `${what} must be a non-empty string`, { rule: 'empty' });
  }
  // Security: a NUL byte truncates the path in the C layer (path smuggling).
  if (input.includes('\0')) throw new MeshError('PATH_INVALID', `${what} contains a NUL byte`, { rule: 'nul' });
  // Security: an absolute path would escape the root it is joined to.
  if (input.startsWith('/') || /^[A-Za-z]:[\\/]/.test(input) || input.startsWith('\\\\')) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `${what} must be relative (got "${input}")`, { rule: 'absolute' });
  }
  const segments = input.split('/').filter((s) => s !== '' && s !== '.');
  // Security: ".." climbs out of the root (directory traversal).
  if (segments.includes('..')) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `${what} must not contain ".." (got "${input}")`, { rule: 'dot-dot' });
  }
  if (segments.length === 0) throw new MeshError('PATH_INVALID', `${what} names no file (got "${input}")`, { rule: 'empty' });
  return segments;
}

/**
 * True when absolute path `candidate` is `root` or below it, compared segment
 * by segment (a prefix test on strings would accept "/a/bc" under "/a/b").
 */
export function isWithin(root: string, candidate: string): boolean {
  const r = path.resolve(root).split(path.sep).filter(Boolean);
  const c = path.resolve(candidate).split(path.sep).filter(Boolean);
  if (c.length < r.length) return false;
  return r.every((segment, i) => segment === c[i]);
}

/**
 * The path of `segments` under `realRoot` with its parent folder resolved
 * through links; throws PATH_OUTSIDE_SESSION (rule 'link') when a link among
 * the parent folders leads outside `realRoot`. The last segment is not
 * resolved: callers decide what a link there means.
 */
export async function realParentInside(realRoot: string, segments: string[]): Promise<string> {
  const parent = path.join(realRoot, ...segments.slice(0, -1));
  let realParent: string;
  try {
    realParent = await realpath(parent);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MeshError('NOT_FOUND', `no folder "${segments.slice(0, -1).join('/')}" in the session`);
    }
    throw err;
  }
  // Security: a planted link among the parents would redirect the operation.
  if (!isWithin(realRoot, realParent)) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `"${segments.join('/')}" leads outside the session through a link`, {
      rule: 'link',
    });
  }
  return path.join(realParent, segments[segments.length - 1]!);
}

/**
 * Create the folders of `segments` under `realRoot` one at a time (fsyncing
 * each parent) and return the real path of the last one. Throws
 * PATH_OUTSIDE_SESSION (rule 'link') when an existing folder is a link that
 * leads outside `realRoot`, before anything is created beyond it.
 */
export async function ensureDirInside(realRoot: string, segments: string[]): Promise<string> {
  let current = realRoot;
  for (const segment of segments) {
    const next = path.join(current, segment);
    let info = await lstat(next).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!info) {
      await mkdir(next).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      await fsyncDir(current);
      info = await lstat(next);
    }
    const real = info.isSymbolicLink() ? await realpath(next) : next;
    // Security: never create folders through a link that leaves the root.
    if (!isWithin(realRoot, real)) {
      throw new MeshError('PATH_OUTSIDE_SESSION', `"${segments.join('/')}" leads outside the session through a link`, {
        rule: 'link',
      });
    }
    if (!(await lstat(real)).isDirectory()) {
      throw new MeshError('NOT_A_DIRECTORY', `"${segment}" in "${segments.join('/')}" is not a folder`);
    }
    current = real;
  }
  return current;
}
