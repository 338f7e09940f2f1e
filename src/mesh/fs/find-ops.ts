// `find` and `ls` with a depth, on one session copy (the hub mirror or a
// node's): entries below a folder whose path matches a glob, bounded.
import type { FindReply, FoundEntry } from '../protocol/frames.js';
import { compileGlob } from './glob.js';
import { walkInside } from './search-walk.js';

/** Default and largest number of entries one `find` returns. */
export const DEFAULT_FIND_LIMIT = 200;
export const MAX_FIND_LIMIT = 1_000;
/** A walk for `find` gives up after this long, ms, and says it was truncated. */
export const FIND_DEADLINE_MS = 10_000;

export interface FindOptions {
  /** Glob over paths relative to the session root ("" matches everything); see glob.ts. */
  pattern: string;
  limit?: number;
  /** 0: as deep as the walk goes. */
  maxDepth?: number;
}

export async function findEntries(root: string, rel: string, options: FindOptions): Promise<FindReply> {
  const limit = Math.min(options.limit || DEFAULT_FIND_LIMIT, MAX_FIND_LIMIT);
  const matches = options.pattern === '' ? () => true : compileGlob(options.pattern);
  const entries: FoundEntry[] = [];
  let more = false;
  const end = await walkInside(root, rel, { maxDepth: options.maxDepth, deadline: Date.now() + FIND_DEADLINE_MS }, async (e) => {
    if (!matches(e.path)) return true;
    if (entries.length === limit) {
      more = true;
      return false;
    }
    const { size, mtimeMs } = await e.stat();
    entries.push({ path: e.path, type: e.type, size, mtimeMs });
    return true;
  });
  return { entries, truncated: more || end.truncated };
}
