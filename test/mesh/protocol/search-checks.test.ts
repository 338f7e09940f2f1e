// A node's find and grep replies, checked before the hub passes them on:
// more than was asked, paths that are no session paths, unknown types,
// overlong lines and bad counts are NODE_REPLY_INVALID; a good reply passes
// unchanged.
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { MAX_MATCH_TEXT } from '../../../src/mesh/fs/grep-ops.js';
import { checkReply } from '../../../src/mesh/protocol/frame-checks.js';
import type { FindRequest, GrepRequest } from '../../../src/mesh/protocol/frames.js';

const findReq: FindRequest = { session: 's', path: '.', pattern: '*', limit: 2, maxDepth: 0 };
const grepReq: GrepRequest = { session: 's', path: '.', pattern: 'x', glob: '', regex: false, ignoreCase: false, maxResults: 2, deadlineMs: 1000 };
const entry = (path: string, type = 'file') => ({ path, type, size: 1, mtimeMs: 0 }) as never;
const match = (path: string, line = 1, text = 'x') => ({ path, line, text });
const grepReply = (matches: unknown[], counts: Record<string, unknown> = {}) =>
  ({ matches, truncated: false, timedOut: false, filesScanned: 1, bytesScanned: 10, binarySkipped: 0, ...counts }) as never;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as MeshError).code;
  }
  return undefined;
}

describe('find replies', () => {
  it('pass when within the request', () => {
    expect(checkReply('find', findReq, { entries: [entry('a.md'), entry('d', 'directory')], truncated: true })).toEqual({ entries: [entry('a.md'), entry('d', 'directory')], truncated: true });
  });
  it('are dropped when they break it', () => {
    for (const bad of [
      { entries: [entry('a'), entry('b'), entry('c')], truncated: false },
      { entries: [entry('../../etc/passwd')], truncated: false },
      { entries: [entry('/etc/passwd')], truncated: false },
      { entries: [entry('a//b')], truncated: false },
      { entries: [entry('a', 'fifo')], truncated: false },
      { entries: [{ path: 'a', type: 'file', size: -1, mtimeMs: 0 }], truncated: false },
      undefined,
    ]) {
      expect(code(() => checkReply('find', findReq, bad)), JSON.stringify(bad)).toBe('NODE_REPLY_INVALID');
    }
  });
});

describe('grep replies', () => {
  it('pass when within the request', () => {
    expect(checkReply('grep', grepReq, grepReply([match('a.md', 3, 'TODO')]))).toMatchObject({ matches: [match('a.md', 3, 'TODO')], filesScanned: 1 });
  });
  it('are dropped when they break it', () => {
    for (const bad of [
      grepReply([match('a'), match('b'), match('c')]),
      grepReply([match('../x')]),
      grepReply([match('a', 0)]),
      grepReply([match('a', 1, 'x'.repeat(MAX_MATCH_TEXT + 1))]),
      grepReply([], { bytesScanned: -5 }),
    ]) {
      expect(code(() => checkReply('grep', grepReq, bad))).toBe('NODE_REPLY_INVALID');
    }
  });
});
