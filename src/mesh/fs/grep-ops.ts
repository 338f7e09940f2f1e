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
const READ_CHUNK = 64 * 1024;
/** Files read at once by one call. */
const SCAN_CONCURRENCY = 8;
/** A NUL byte in the first bytes marks a file as binary (what grep -I does). */
const BINARY_PROBE = 8 * 1024;

export interface GrepOptions extends SearchPattern {
  /** Glob over paths relative to the session root, "" for every file. */
  glob?: string;
  maxResults?: number;
  deadlineMs?: number;
}

/** 'full': more matches in this file than the call may return; 'stop': the call's deadline passed; 'slow': the file's. */
type FileScan = 'done' | 'binary' | 'full' | 'stop' | 'slow';

export async function grepFiles(root: string, rel: string, options: GrepOptions): Promise<GrepReply> {
  const test = compileLineTest(options); // refuses a bad pattern before anything is opened
  const inScope = options.glob ? compileGlob(options.glob) : () => true;
  const maxResults = Math.min(options.maxResults || DEFAULT_GREP_RESULTS, MAX_GREP_RESULTS);
  const deadline = Date.now() + Math.min(options.deadlineMs || DEFAULT_GREP_DEADLINE_MS, MAX_GREP_DEADLINE_MS);
  const reply: GrepReply = { matches: [], truncated: false, filesScanned: 0, bytesScanned: 0, timedOut: false, binarySkipped: 0 };

  type Scanned = { result: FileScan; matches: GrepMatch[] };
  const scan = async (file: FileHandle, path: string, buf: Buffer): Promise<Scanned> => {
    const fileDeadline = Math.min(deadline, Date.now() + GREP_FILE_BUDGET_MS);
    const decoder = new StringDecoder('utf8');
    const matches: GrepMatch[] = [];
    let carry = '';
    let line = 0;
    let read = 0;
    const emit = (text: string): boolean => {
      line++;
      if (!test(text)) return true;
      // One match past the limit is kept, so that the caller knows the answer was cut.
      if (matches.length > maxResults) return false;
      matches.push({ path, line, text: text.length > MAX_MATCH_TEXT ? text.slice(0, MAX_MATCH_TEXT) : text });
      return true;
    };
    for (;;) {
      const want = Math.min(READ_CHUNK, MAX_GREP_FILE_BYTES - read, MAX_GREP_CALL_BYTES - reply.bytesScanned);
      if (want <= 0) break;
      const { bytesRead } = await file.read(buf, 0, want, read);
      if (bytesRead === 0) break;
      if (read === 0 && buf.subarray(0, Math.min(bytesRead, BINARY_PROBE)).includes(0)) return { result: 'binary', matches };
      read += bytesRead;
      reply.bytesScanned += bytesRead;
      const lines = (carry + decoder.write(buf.subarray(0, bytesRead))).split('\n');
      carry = lines.pop()!;
      for (const text of lines) if (!emit(text.endsWith('\r') ? text.slice(0, -1) : text)) return { result: 'full', matches };
      // Checked between chunks: each line's match is bounded by the linear-engine fallback (search-pattern.ts).
      if (Date.now() > fileDeadline) return { result: Date.now() > deadline ? 'stop' : 'slow', matches };
    }
    const last = carry + decoder.end();
    if (last !== '' && !emit(last)) return { result: 'full', matches };
    return { result: 'done', matches };
  };

  // Files are scanned SCAN_CONCURRENCY at a time (each open, read and close waits on the disk), and their
  // results taken in walk order, so the answer does not depend on which file finished first.
  const buffers = Array.from({ length: SCAN_CONCURRENCY }, () => Buffer.allocUnsafe(READ_CHUNK));
  const inFlight: Array<Promise<Scanned | undefined>> = [];
  let stopped = false;
  const takeOldest = async (): Promise<void> => {
    const done = await inFlight.shift()!;
    if (!done || stopped) return;
    if (done.result === 'binary') reply.binarySkipped++;
    else reply.filesScanned++;
    const room = maxResults - reply.matches.length;
    reply.matches.push(...done.matches.slice(0, room));
    if (done.result === 'slow') reply.truncated = true;
    // A match that did not fit, or the deadline: the answer is cut here.
    if (done.matches.length > room || done.result === 'stop') {
      reply.truncated = true;
      reply.timedOut = done.result === 'stop';
      stopped = true;
    }
  };
  const startScan = (file: FileHandle, path: string): Promise<Scanned | undefined> => {
    const buf = buffers.pop()!;
    return scan(file, path, buf)
      .catch(() => undefined) // vanished or unreadable since it was listed: left out
      .finally(() => {
        buffers.push(buf);
        return file.close().catch(() => {});
      });
  };

  const end = await walkInside(root, rel, { deadline }, async (e) => {
    if (e.type !== 'file' || !inScope(e.path)) return true;
    if (reply.bytesScanned >= MAX_GREP_CALL_BYTES) {
      reply.truncated = true;
      return false;
    }
    if (inFlight.length === SCAN_CONCURRENCY) await takeOldest();
    if (stopped) return false;
    // Opened here, while the walk still holds its folder: the open goes through that folder's handle.
    const file = await e.open();
    if (file) inFlight.push(startScan(file, e.path));
    return true;
  });
  while (inFlight.length > 0) await takeOldest();
  if (end.truncated) reply.truncated = true;
  if (end.timedOut) reply.timedOut = true;
  return reply;
}

export type { GrepMatch };
