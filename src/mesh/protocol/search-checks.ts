// Replies to `find` and `grep` as a node sends them, checked against the
// request before the hub passes anything on: counts within what was asked,
// paths that are session paths, types known, text bounded. Pure.
import { MeshError } from '../../errors.js';
import { MAX_FIND_LIMIT } from '../fs/find-ops.js';
import { MAX_GREP_RESULTS, MAX_MATCH_TEXT } from '../fs/grep-ops.js';
import { normalizeSessionPath } from '../fs/paths.js';
import type { FindReply, FindRequest, FoundEntry, GrepMatch, GrepReply, GrepRequest } from './frames.js';

const TYPES: ReadonlySet<string> = new Set(['file', 'directory', 'symlink', 'other']);

function invalid(message: string): MeshError {
  return new MeshError('NODE_REPLY_INVALID', message);
}

const isCount = (n: unknown): boolean => Number.isSafeInteger(Number(n)) && Number(n) >= 0;

/** Security: a path a node reports must be a plain session path, so a client never sees (or is told to open) anything else. */
function checkPath(p: unknown): string {
  let normal: string | undefined;
  try {
    normal = typeof p === 'string' ? normalizeSessionPath(p) : undefined;
  } catch {
    normal = undefined;
  }
  if (normal === undefined || normal !== p || normal === '.') throw invalid(`reply names ${JSON.stringify(String(p).slice(0, 80))}, which is no session path`);
  return normal;
}

export function checkFindReply(request: FindRequest, reply: FindReply): FindReply {
  const entries = reply.entries ?? [];
  const limit = Math.min(Number(request.limit) || MAX_FIND_LIMIT, MAX_FIND_LIMIT);
  if (entries.length > limit) throw invalid(`find reply holds ${entries.length} entries; at most ${limit} were asked for`);
  return {
    truncated: Boolean(reply.truncated),
    entries: entries.map((e): FoundEntry => {
      if (!TYPES.has(e.type)) throw invalid(`find entry has unknown type ${JSON.stringify(String(e.type).slice(0, 20))}`);
      if (!isCount(e.size) || !Number.isFinite(Number(e.mtimeMs))) throw invalid('find entry has a bad size or mtime');
      return { path: checkPath(e.path), type: e.type, size: Number(e.size), mtimeMs: Number(e.mtimeMs) };
    }),
  };
}

export function checkGrepReply(request: GrepRequest, reply: GrepReply): GrepReply {
  const matches = reply.matches ?? [];
  const limit = Math.min(Number(request.maxResults) || MAX_GREP_RESULTS, MAX_GREP_RESULTS);
  if (matches.length > limit) throw invalid(`grep reply holds ${matches.length} matches; at most ${limit} were asked for`);
  for (const n of [reply.filesScanned, reply.bytesScanned, reply.binarySkipped]) if (!isCount(n)) throw invalid('grep reply carries bad counts');
  return {
    truncated: Boolean(reply.truncated),
    timedOut: Boolean(reply.timedOut),
    filesScanned: Number(reply.filesScanned),
    bytesScanned: Number(reply.bytesScanned),
    binarySkipped: Number(reply.binarySkipped),
    matches: matches.map((m): GrepMatch => {
      if (!isCount(m.line) || Number(m.line) < 1) throw invalid('grep match has a bad line number');
      if (typeof m.text !== 'string' || m.text.length > MAX_MATCH_TEXT) throw invalid(`grep match text is longer than ${MAX_MATCH_TEXT} characters`);
      return { path: checkPath(m.path), line: Number(m.line), text: m.text };
    }),
  };
}
