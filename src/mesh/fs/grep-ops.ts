// `grep` on one session copy (the hub mirror or a node's): lines that match,
// with their line numbers, run where the data is. Every bound is here:
// results, bytes scanned per file and per call, time per file and per call,
// the length of a returned line; binary files are skipped.
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { GrepMatch, GrepReply } from '../protocol/frames.js';
import { compileGlob } from './glob.js';
import { compileLineTest, type SearchPattern } from './search-pattern.js';
import { walkInside } from './search-walk.js';

export const DEFAULT_GREP_RESULTS = 100;
export const MAX_GREP_RESULTS = 1_000;
/** Default and longest time one call scans, ms. */
export const DEFAULT_GREP_DEADLINE_MS = 10_000;
export const MAX_GREP_DEADLINE_MS = 30_000;
/** Time one file may take, ms: a slow pattern on one file does not eat the whole call. */
export const GREP_FILE_BUDGET_MS = 2_000;
/** Bytes read of one file (the rest is not searched) and of one call. */
export const MAX_GREP_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_GREP_CALL_BYTES = 256 * 1024 * 1024;
/** A matching line is returned cut to this many UTF-16 code units. */
export const MAX_MATCH_TEXT = 300;
const READ_CHUNK = 256 * 1024;
/** A NUL byte in the first bytes marks a file as binary (what grep -I does). */
const BINARY_PROBE = 8 * 1024;

export interface GrepOptions extends SearchPattern {
  /** Glob over paths relative to the session root, "" for every file. */
  glob?: string;
  maxResults?: number;
  deadlineMs?: number;
}

type FileScan = 'done' | 'binary' | 'stop' | 'slow';

export async function grepFiles(root: string, rel: string, options: GrepOptions): Promise<GrepReply> {
  const test = compileLineTest(options); // refuses a bad pattern before anything is opened
  const inScope = options.glob ? compileGlob(options.glob) : () => true;
  const maxResults = Math.min(options.maxResults || DEFAULT_GREP_RESULTS, MAX_GREP_RESULTS);
  const deadline = Date.now() + Math.min(options.deadlineMs || DEFAULT_GREP_DEADLINE_MS, MAX_GREP_DEADLINE_MS);
  const reply: GrepReply = { matches: [], truncated: false, filesScanned: 0, bytesScanned: 0, timedOut: false, binarySkipped: 0 };

  const scan = async (file: FileHandle, path: string): Promise<FileScan> => {
    const fileDeadline = Math.min(deadline, Date.now() + GREP_FILE_BUDGET_MS);
    const decoder = new StringDecoder('utf8');
    const buf = Buffer.alloc(READ_CHUNK);
    let carry = '';
    let line = 0;
    let read = 0;
    const emit = (text: string): boolean => {
      line++;
      if (!test(text)) return true;
      if (reply.matches.length === maxResults) return false;
      reply.matches.push({ path, line, text: text.length > MAX_MATCH_TEXT ? text.slice(0, MAX_MATCH_TEXT) : text });
      return true;
    };
    for (;;) {
      const want = Math.min(READ_CHUNK, MAX_GREP_FILE_BYTES - read, MAX_GREP_CALL_BYTES - reply.bytesScanned);
      if (want <= 0) break;
      const { bytesRead } = await file.read(buf, 0, want, read);
      if (bytesRead === 0) break;
      if (read === 0 && buf.subarray(0, Math.min(bytesRead, BINARY_PROBE)).includes(0)) return 'binary';
      read += bytesRead;
      reply.bytesScanned += bytesRead;
      const lines = (carry + decoder.write(buf.subarray(0, bytesRead))).split('\n');
      carry = lines.pop()!;
      for (const text of lines) if (!emit(text.endsWith('\r') ? text.slice(0, -1) : text)) return 'stop';
      // Checked between chunks: each line's match is bounded by the linear-engine fallback (search-pattern.ts).
      if (Date.now() > fileDeadline) return Date.now() > deadline ? 'stop' : 'slow';
    }
    const last = carry + decoder.end();
    if (last !== '' && !emit(last)) return 'stop';
    return 'done';
  };

  const end = await walkInside(root, rel, { deadline }, async (e) => {
    if (e.type !== 'file' || !inScope(e.path)) return true;
    if (reply.bytesScanned >= MAX_GREP_CALL_BYTES) {
      reply.truncated = true;
      return false;
    }
    const file = await e.open();
    if (!file) return true;
    let result: FileScan;
    try {
      result = await scan(file, e.path);
    } finally {
      await file.close().catch(() => {});
    }
    if (result === 'binary') reply.binarySkipped++;
    else reply.filesScanned++;
    if (result === 'slow') reply.truncated = true;
    if (result === 'stop') {
      reply.truncated = true;
      reply.timedOut = Date.now() > deadline;
      return false;
    }
    return true;
  });
  if (end.truncated) reply.truncated = true;
  if (end.timedOut) reply.timedOut = true;
  return reply;
}

export type { GrepMatch };
