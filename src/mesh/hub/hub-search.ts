// `find`, `grep` and `ls` with a depth for the hub core: run where the data
// is (the mirror, one node, or each member at once for "*"), each node's
// answer or failure reported beside the others'.
import { findEntries, MAX_FIND_LIMIT } from '../fs/find-ops.js';
import { grepFiles, DEFAULT_GREP_DEADLINE_MS, MAX_GREP_DEADLINE_MS } from '../fs/grep-ops.js';
import { normalizeSessionPath } from '../fs/paths.js';
import { compileGlob } from '../fs/glob.js';
import { compileLineTest } from '../fs/search-pattern.js';
import type { FindReply, GrepReply } from '../protocol/frames.js';
import type { Answer, HubFiles } from './hub-files.js';
import { offline } from './node-link.js';
import type { Registry } from './registry.js';

/** A node gets this much longer than its own scan deadline to answer, ms. */
const NODE_SLACK_MS = 5_000;

export interface GrepQuery {
  pattern: string;
  regex: boolean;
  ignoreCase: boolean;
  glob?: string;
  maxResults?: number;
  deadlineMs?: number;
}

export class HubSearch {
  constructor(
    private readonly deps: { files: HubFiles; registry: Registry; mirrorRoot(session: string): string },
  ) {}

  find(session: string, rel: string, query: { pattern: string; limit?: number; maxDepth?: number }, node?: string): Promise<Array<Answer<FindReply>>> {
    const p = normalizeSessionPath(rel);
    if (query.pattern !== '') compileGlob(query.pattern); // a bad glob is refused here, once, not by every node
    const request = { session, path: p, pattern: query.pattern, limit: query.limit ?? 0, maxDepth: query.maxDepth ?? 0 };
    return this.deps.files.ask(
      session,
      node,
      () => findEntries(this.deps.mirrorRoot(session), p, query),
      (id) => this.link(id).request('find', request, { timeoutMs: 10_000 + NODE_SLACK_MS }),
    );
  }

  /** `ls` with a depth: every entry down to `depth` levels (1: the folder's own), as a find that matches all. */
  tree(session: string, rel: string, depth: number, node?: string): Promise<Array<Answer<FindReply>>> {
    return this.find(session, rel, { pattern: '', limit: MAX_FIND_LIMIT, maxDepth: depth }, node);
  }

  grep(session: string, rel: string, query: GrepQuery, node?: string): Promise<Array<Answer<GrepReply>>> {
    const p = normalizeSessionPath(rel);
    compileLineTest(query); // refuse a bad or unsafe pattern before any node is asked
    if (query.glob) compileGlob(query.glob);
    const deadlineMs = Math.min(query.deadlineMs || DEFAULT_GREP_DEADLINE_MS, MAX_GREP_DEADLINE_MS);
    const request = { session, path: p, pattern: query.pattern, glob: query.glob ?? '', regex: query.regex, ignoreCase: query.ignoreCase, maxResults: query.maxResults ?? 0, deadlineMs };
    return this.deps.files.ask(
      session,
      node,
      () => grepFiles(this.deps.mirrorRoot(session), p, { ...query, deadlineMs }),
      (id) => this.link(id).request('grep', request, { timeoutMs: deadlineMs + NODE_SLACK_MS }),
    );
  }

  private link(node: string) {
    const link = this.deps.registry.get(node);
    if (!link) throw offline(node);
    return link;
  }
}
