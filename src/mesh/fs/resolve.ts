// Path-level checks of a session-relative path against the real file system,
// for an early, clearly worded refusal (a link on the target or on the way
// that leads outside, a special file). They are advice, not the guarantee: the
// path can change right after; `safe-open.ts` checks the handle that is used.
import type { Stats } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import { isInside, joinInside, linkError, normalizeSessionPath, specialError } from './paths.js';

export interface ResolvedPath {
  /** The root joined with the normalized path, links not followed. */
  abs: string;
  /** The same path with every link resolved; open this one. */
  real: string;
  /** stat of `real` (links followed): a regular file or a folder. */
  stat: Stats;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** realpath of the session root; a missing root is `NOT_FOUND`. */
async function realRootOf(root: string): Promise<string> {
  try {
    return await realpath(root);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw new MeshError('NOT_FOUND', `session root ${JSON.stringify(root)} does not exist`);
    throw toMeshError(err);
  }
}

/**
 * Find the deepest ancestor of `abs` (excluding `abs`) that exists, between
 * `base` and `abs`, and check that it resolves to a folder inside `realRoot`.
 */
async function checkDeepestAncestor(base: string, abs: string, realRoot: string, rel: string): Promise<void> {
  let dir = path.dirname(abs);
  // Bounded: each step removes one segment and the walk stops at `base`.
  for (;;) {
    let found = true;
    try {
      await lstat(dir);
    } catch (err) {
      const code = errnoOf(err);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw toMeshError(err);
      found = false;
    }
    if (found || dir === base || !isInside(base, dir)) break;
    dir = path.dirname(dir);
  }
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    const code = errnoOf(err);
    // Security: an existing entry whose realpath fails is a dangling or looping
    // link; writing through it could create folders wherever it points.
    if (code === 'ENOENT' || code === 'ELOOP') throw linkError(rel, 'goes through a broken link');
    throw toMeshError(err);
  }
  // Security: a link on the way ("dir -> /etc") would put the write outside.
  if (!isInside(realRoot, real)) throw linkError(rel, 'goes through a link that leads outside the session root');
  const st = await stat(real).catch((err: unknown) => {
    throw toMeshError(err);
  });
  if (!st.isDirectory()) {
    throw new MeshError('NOT_A_DIRECTORY', `path ${JSON.stringify(rel)} goes through a file`, {
      parent: path.relative(base, dir).split(path.sep).join('/'),
    });
  }
}

/**
 * Resolve an existing file or folder under `root`. The real path must stay
 * inside `realpath(root)` (links that stay inside are fine), else
 * `PATH_OUTSIDE_SESSION` rule `link`. Missing is `NOT_FOUND`; devices, FIFOs
 * and sockets are `PATH_SPECIAL_FILE`. '.' resolves the root itself.
 */
export async function resolveExisting(root: string, rel: string): Promise<ResolvedPath> {
  const abs = joinInside(root, rel);
  const realRoot = await realRootOf(root);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ELOOP') throw linkError(rel, 'goes through a link loop');
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw toMeshError(err);
    // Security: report NOT_FOUND only when the missing part is inside; a link
    // leading out must not become an oracle for what exists outside the root.
    await checkDeepestAncestor(path.resolve(root), abs, realRoot, rel).catch((e: unknown) => {
      if (e instanceof MeshError && e.code === 'NOT_A_DIRECTORY') return;
      throw e;
    });
    const st = await lstat(abs).catch(() => undefined);
    if (st?.isSymbolicLink()) throw linkError(rel, 'is a broken link');
    throw new MeshError('NOT_FOUND', `path ${JSON.stringify(rel)} does not exist`);
  }
  // Security: a link anywhere on the way ("docs -> /etc") is resolved here,
  // and the resolved path is what gets checked (and opened).
  if (!isInside(realRoot, real)) throw linkError(rel, 'resolves through a link to outside the session root');
  let st: Stats;
  try {
    st = await stat(real);
  } catch (err) {
    throw toMeshError(err);
  }
  // Security: reading a FIFO blocks forever, a device can be endless or have side effects.
  if (!st.isFile() && !st.isDirectory()) throw specialError(rel);
  return { abs, real, stat: st };
}

/**
 * Resolve the place to write a file that may not exist yet. Returns the
 * absolute path under the *unresolved* root join, so that a temp file plus
 * rename replaces the directory entry itself and never follows it.
 *
 * Refuses: the root itself (`PATH_INVALID` rule `root`); a deepest existing
 * ancestor that resolves outside `realpath(root)` or is a broken link
 * (`PATH_OUTSIDE_SESSION` rule `link`); an existing target that is a link
 * (rule `link`, wherever it points), a folder (`NOT_A_FILE`) or a special file
 * (`PATH_SPECIAL_FILE`). `root` must exist.
 */
export async function resolveForWrite(root: string, rel: string): Promise<string> {
  if (normalizeSessionPath(rel) === '.') {
    throw new MeshError('PATH_INVALID', 'cannot write to the session root itself; name a file', { rule: 'root' });
  }
  const abs = joinInside(root, rel);
  const realRoot = await realRootOf(root);
  await checkDeepestAncestor(path.resolve(root), abs, realRoot, rel);
  let st: Stats;
  try {
    st = await lstat(abs);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return abs;
    throw toMeshError(err);
  }
  if (st.isSymbolicLink()) {
    const target = await realpath(abs).catch(() => undefined);
    // Security: a planted link ("notes.txt -> ~/.ssh/authorized_keys") is
    // refused outright; even a link that stays inside is not replaced, since
    // links in a session are placed there on purpose (promoted skills).
    const where = target !== undefined && isInside(realRoot, target) ? 'inside' : 'outside';
    throw new MeshError(
      'PATH_OUTSIDE_SESSION',
      where === 'outside'
        ? `path ${JSON.stringify(rel)} is a link that leads outside the session root`
        : `path ${JSON.stringify(rel)} is a link; writes never replace or follow links`,
      { rule: 'link', target: where },
    );
  }
  if (st.isDirectory()) throw new MeshError('NOT_A_FILE', `path ${JSON.stringify(rel)} is a folder`);
  if (!st.isFile()) throw specialError(rel);
  return abs;
}
