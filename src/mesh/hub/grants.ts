// Session grants: which sessions a node credential lets its holder join.
// Pure rules shared by the hub (admission), the operator commands (`token
// create --sessions`, `token grant`) and the MESH_NODE_TOKENS parser.
import { MeshError } from '../../errors.js';
import { SESSION_NAME_RE } from '../fs/paths.js';

/** Every session, present and future. */
export const ALL_SESSIONS = '*';

/**
 * A grant list: session names, or exactly `['*']` for every session. Kept
 * sorted and without duplicates so that stored records compare equal.
 */
export type GrantList = readonly string[];

/** True when `grants` lets its holder be a member of `session`. */
export function grantsSession(grants: GrantList, session: string): boolean {
  return grants.includes(ALL_SESSIONS) || grants.includes(session);
}

export function grantsEverything(grants: GrantList): boolean {
  return grants.includes(ALL_SESSIONS);
}

/**
 * Parse a comma-separated grant list as an operator types it ("a,b" or "*").
 * Throws INVALID_ARGUMENT naming the offending entry.
 */
export function parseGrantList(text: string, what = '--sessions'): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new MeshError('INVALID_ARGUMENT', `${what} names no session: give session names separated by commas, or '*'`);
  return normalizeGrants(items, what);
}

/** Validate and canonicalise a list of session names or `*`. */
export function normalizeGrants(items: readonly string[], what = 'grants'): string[] {
  if (items.includes(ALL_SESSIONS)) {
    if (items.length > 1) throw new MeshError('INVALID_ARGUMENT', `${what}: '*' already grants every session; give it alone`);
    return [ALL_SESSIONS];
  }
  for (const s of items) {
    if (!SESSION_NAME_RE.test(s)) throw new MeshError('INVALID_ARGUMENT', `${what}: ${JSON.stringify(s)} is not a session name`);
  }
  return [...new Set(items)].sort();
}

/** `grants` plus `added`; adding '*' grants everything. */
export function addGrants(grants: GrantList, added: GrantList): string[] {
  if (grantsEverything(grants) || grantsEverything(added)) return [ALL_SESSIONS];
  return normalizeGrants([...grants, ...added]);
}

/**
 * `grants` without `removed`. Removing '*' clears everything; removing one
 * name from '*' cannot be expressed, so it is refused with a way out.
 */
export function removeGrants(grants: GrantList, removed: GrantList): string[] {
  if (grantsEverything(removed)) return [];
  if (grantsEverything(grants)) {
    throw new MeshError('INVALID_ARGUMENT', "this credential grants every session ('*'); replace it with an explicit list (`token grant ID a,b --replace`)");
  }
  return grants.filter((s) => !removed.includes(s));
}

/** One entry of MESH_NODE_TOKENS: `TOKEN`, `TOKEN@s1+s2` or `TOKEN@*`. */
export interface SharedTokenSpec {
  token: string;
  /** The scope; undefined when the entry named none (every session, with a warning at start). */
  grants?: string[];
}

/**
 * Parse one MESH_NODE_TOKENS entry. The scope follows the last '@' and
 * separates sessions with '+' (',' already separates tokens).
 */
export function parseSharedToken(entry: string): SharedTokenSpec {
  const at = entry.lastIndexOf('@');
  if (at < 0) return { token: entry };
  const token = entry.slice(0, at);
  if (!token) throw new MeshError('INVALID_ARGUMENT', 'MESH_NODE_TOKENS: an entry has a scope but no token before its "@"');
  const scope = entry.slice(at + 1).split('+').filter(Boolean);
  if (scope.length === 0) throw new MeshError('INVALID_ARGUMENT', 'MESH_NODE_TOKENS: a token has an empty scope after "@"; name sessions (a+b) or *');
  return { token, grants: normalizeGrants(scope, 'MESH_NODE_TOKENS scope of a token') };
}
