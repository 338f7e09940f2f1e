// What `grep` looks for in a line: a plain string, or a regular expression
// from a client, which may be hostile ("(a+)+$" backtracks for ages on a
// line of "a"s and would stall the process's event loop with it).
//
// The defence, cheap and checked before any file is opened:
// - a length bound (MAX_PATTERN_LENGTH);
// - V8's linear-time regexp engine as the fallback once a match backtracks
//   too much (a V8 flag, set here once per process): expressions compiled
//   without the `u` and `i` flags and without backreferences or lookarounds
//   can then never backtrack without end. Backreferences and lookarounds are
//   therefore refused, and case is folded by hand instead of with `i`;
// - callers also bound the time per file and per call (grep-ops.ts).
import v8 from 'node:v8';
import { MeshError } from '../../errors.js';

/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 1000;

let linearFallback = false;
/** Set V8's linear-engine fallback for this process (idempotent); every matcher built from client input calls it. */
export function enableLinearFallback(): void {
  if (linearFallback) return;
  // Security: with this flag a regexp that exceeds V8's backtrack budget (50,000 by default) is re-run on
  // the linear engine, so a catastrophic pattern costs time linear in the line, not exponential.
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  linearFallback = true;
}

function invalid(message: string): MeshError {
  return new MeshError('PATTERN_INVALID', message);
}

/** Refuse what the linear engine cannot run: backreferences and lookarounds. */
function checkLinearSafe(source: string): void {
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') throw invalid(`pattern uses a backreference (\\${next}); backreferences are refused, they can make a match take exponential time`);
      i++;
    } else if (c === '(' && source[i + 1] === '?' && (source[i + 2] === '=' || source[i + 2] === '!' || (source[i + 2] === '<' && (source[i + 3] === '=' || source[i + 3] === '!')))) {
      throw invalid('pattern uses a lookaround ((?=, (?!, (?<=, (?<!); lookarounds are refused, they can make a match take exponential time');
    }
  }
}

/**
 * Lower-case a regexp source for a case-folded match of lower-cased text: every
 * letter but the one right after a backslash (so "\D" stays "\D", not "\d").
 */
export function foldPatternCase(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\\' && i + 1 < source.length) {
      out += source[i]! + source[i + 1]!;
      i++;
    } else out += source[i]!.toLowerCase();
  }
  return out;
}

export interface SearchPattern {
  pattern: string;
  regex: boolean;
  ignoreCase: boolean;
}

/** A line test for `grep`; PATTERN_INVALID for a pattern that is empty, too long, malformed or unsafe. */
export function compileLineTest({ pattern, regex, ignoreCase }: SearchPattern): (line: string) => boolean {
  if (pattern === '') throw invalid('pattern is empty');
  if (pattern.length > MAX_PATTERN_LENGTH) throw invalid(`pattern is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH}`);
  if (!regex) {
    if (!ignoreCase) return (line) => line.includes(pattern);
    const needle = pattern.toLowerCase();
    return (line) => line.toLowerCase().includes(needle);
  }
  checkLinearSafe(pattern);
  enableLinearFallback();
  let re: RegExp;
  try {
    re = new RegExp(ignoreCase ? foldPatternCase(pattern) : pattern);
  } catch (err) {
    throw invalid(`pattern is not a valid regular expression: ${(err as Error).message}`);
  }
  return ignoreCase ? (line) => re.test(line.toLowerCase()) : (line) => re.test(line);
}
