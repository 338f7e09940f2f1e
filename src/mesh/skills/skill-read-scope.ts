// Where a link met while reading a session may lead besides the session
// itself: a promotion leaves `skills/<name>` in the session as a link to the
// library copy, and that copy must stay readable through it. Only the
// folder of a promoted skill is admitted; the rest of the library (earlier
// versions, kept folders, temp copies, locks, journal: every name starting
// with ".") and everything outside it is not. The rule is pure; the handle
// checks in safe-open.ts apply it to where each opened handle really is.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../fs/paths.js';
import type { LinkScope } from '../fs/safe-open.js';
import { isValidSkillName } from './skill-manifest.js';

/** The skill folder `where` lies in, below the library's real path; undefined when none. */
export function skillFolderOf(libraryReal: string, where: string): string | undefined {
  if (!isInside(libraryReal, where)) return undefined;
  const first = path.relative(libraryReal, where).split(path.sep)[0];
  // Security: ".versions", ".kept", ".tmp-*" are not skill names, so they stay out of reach.
  return first !== undefined && first !== '' && isValidSkillName(first) ? path.join(libraryReal, first) : undefined;
}

/** Reads may follow links into the current copy of any promoted skill of the library at `libraryReal`. */
export function skillLibraryScope(libraryReal: string): LinkScope {
  return { rootOf: (where) => skillFolderOf(libraryReal, where) };
}

/** The scope for reads of sessions beside the library at `libraryRoot`; undefined while there is no library. */
export async function readScopeFor(libraryRoot: string): Promise<LinkScope | undefined> {
  const real = await realpath(libraryRoot).catch(() => undefined);
  return real === undefined ? undefined : skillLibraryScope(real);
}

/**
 * readScopeFor, resolved once it succeeds: the library's place does not
 * change while the process runs, and a realpath per `ls`/`cat` showed in
 * their profile. Only the allowed prefix is cached; every handle is still
 * checked where it really is.
 */
export function cachedReadScope(libraryRoot: string): () => Promise<LinkScope | undefined> {
  let found: LinkScope | undefined;
  return async () => (found ??= await readScopeFor(libraryRoot));
}
