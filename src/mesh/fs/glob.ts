// Glob patterns over session paths, for `find` and `grep`'s file filter. Pure.
// Translated to a regular expression without lookarounds or backreferences,
// so V8's linear-time engine can take over if matching starts to backtrack
// (see search-pattern.ts): a hostile glob costs time linear in the path.
//
// `*` any run of characters but "/", `?` one such character, `**` as a whole
// segment any number of folders (none included), `[abc]` `[a-z]` `[!a]`
// classes, `{a,b}` alternatives, `\` escapes the next character. A pattern
// without "/" is matched against the last segment (the name) only.
import { MeshError } from '../../errors.js';
import { enableLinearFallback } from './search-pattern.js';

/** Longest glob accepted, in UTF-16 code units. */
export const MAX_GLOB_LENGTH = 1024;
/** Nested braces deeper than this are refused. */
const MAX_BRACE_DEPTH = 8;

function invalid(pattern: string, why: string): MeshError {
  return new MeshError('PATTERN_INVALID', `glob ${JSON.stringify(pattern.slice(0, 100))} ${why}`, { pattern: pattern.slice(0, 100) });
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The regular expression source a glob stands for, anchored at both ends. */
export function globSource(pattern: string): string {
  if (pattern.length > MAX_GLOB_LENGTH) throw invalid(pattern, `is ${pattern.length} characters long; at most ${MAX_GLOB_LENGTH}`);
  if (pattern.includes('\0')) throw invalid(pattern, 'contains a NUL byte');
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const atSegmentStart = i === 0 || pattern[i - 1] === '/';
    let run = 0;
    while (pattern[i + run] === '*') run++;
    const segmentEnd = i + run === pattern.length || pattern[i + run] === '/';
    if (run === 2 && atSegmentStart && segmentEnd) {
      // A segment that is exactly "**": "**/" matches any number of whole folders; a trailing "**" anything
      // below (not the folder itself). Three or more stars are one "*".
      if (i + run === pattern.length) out += '.*';
      else out += '(?:[^/]*/)*';
      i += run; // past the stars and the "/" after them (the loop's i++ skips it)
      continue;
    }
    if (c === '*') {
      while (pattern[i + 1] === '*') i++; // "a**b" inside a segment is "a*b"
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 === pattern.length) throw invalid(pattern, 'ends with a lone "\\"');
      out += escapeRe(pattern[++i]!);
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      // Inside a class only "\\", "]" and "^" need escaping; "/" never matches (it separates segments).
      const cls = body.replace(/\//g, '').replace(/[\\\]^]/g, '\\$&');
      out += negate ? `[^/${cls}]` : cls === '' ? '[^\\s\\S]' : `[${cls}]`;
      i = close;
    } else if (c === '{') {
      depth++;
      if (depth > MAX_BRACE_DEPTH) throw invalid(pattern, `nests braces deeper than ${MAX_BRACE_DEPTH}`);
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += escapeRe(c);
  }
  if (depth > 0) throw invalid(pattern, 'has a "{" without its "}"');
  return `^${out}$`;
}

/** A matcher for session-relative paths ("a/b.txt"); see the module comment for the syntax. */
export function compileGlob(pattern: string): (rel: string) => boolean {
  const source = globSource(pattern);
  enableLinearFallback();
  const re = new RegExp(source);
  const byName = !pattern.includes('/');
  return (rel) => re.test(byName ? rel.slice(rel.lastIndexOf('/') + 1) : rel);
}
