// Where `push` may read from: only regular files under the hub's source
// roots (--source-root / MESH_SOURCE_ROOTS), checked on resolved paths.
import { realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { isInside } from '../fs/paths.js';
import { openExistingInside } from '../fs/safe-walk.js';

/** Where push sources come from, for errors: an LLM can't list the source roots with `ls`. */
function rootsHint(sourceRoots: readonly string[]): string {
  return `Push reads files under the hub's source roots: ${sourceRoots.join(', ')}; pass a path relative to one of them (\`status\` lists them as sourceRoots).`;
}

/**
 * Resolve `source` (relative to a source root, or absolute inside one) to a
 * real path of a regular file under a source root.
 */
export async function resolveSource(sourceRoots: readonly string[], source: string): Promise<string> {
  if (sourceRoots.length === 0) {
    throw new MeshError('SOURCE_NOT_ALLOWED', 'the hub has no source roots; start it with --source-root DIR');
  }
  if (source.includes('\0')) throw new MeshError('PATH_INVALID', 'source contains a NUL byte', { rule: 'nul-byte' });
  const candidates = path.isAbsolute(source) ? [source] : sourceRoots.map((r) => path.join(r, source));
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => undefined);
    if (!real) continue;
    for (const root of sourceRoots) {
      const realRoot = await realpath(root).catch(() => undefined);
      // Security: the resolved path is checked, so a link under a source
      // root cannot lend out a file from elsewhere.
      if (realRoot && isInside(realRoot, real)) {
        const st = await stat(real);
        if (!st.isFile()) throw new MeshError('NOT_A_FILE', `source "${source}" is not a regular file`);
        return real;
      }
    }
    throw new MeshError('SOURCE_NOT_ALLOWED', `source "${source}" is outside the hub source roots (${sourceRoots.join(', ')})`, { roots: [...sourceRoots] });
  }
  throw new MeshError('NOT_FOUND', `source "${source}" does not exist under the source roots (${sourceRoots.join(', ')})`, {
    roots: [...sourceRoots],
    hint: rootsHint(sourceRoots),
  });
}


/** A push source, opened once: staging and the mirror copy both read this handle. */
export interface OpenedSource {
  file: FileHandle;
  /** The file's name, the default destination. */
  name: string;
  close(): Promise<void>;
}

/**
 * Open a push source through checked handles below its source root.
 * Security: resolving the path and opening it again by path would let a
 * file swapped for a link in between (by anyone who can write in a source
 * root) lend out a file from elsewhere; the handle that is read is the one
 * that was checked.
 */
export async function openSource(sourceRoots: readonly string[], source: string): Promise<OpenedSource> {
  const real = await resolveSource(sourceRoots, source);
  for (const root of sourceRoots) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (!realRoot || !isInside(realRoot, real)) continue;
    const opened = await openExistingInside(realRoot, path.relative(realRoot, real).split(path.sep).join('/'));
    if (!opened.file) {
      await opened.close();
      throw new MeshError('NOT_A_FILE', `source "${source}" is not a regular file`);
    }
    return { file: opened.file, name: path.basename(real), close: opened.close };
  }
  throw new MeshError('SOURCE_NOT_ALLOWED', `source "${source}" is outside the hub source roots`);
}
