// grep's line patterns: plain and regular, case folding by hand, refusals
// that are cheap and come before any file is read, and a catastrophic
// pattern that finishes at once on V8's linear engine.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { compileLineTest, foldPatternCase, MAX_PATTERN_LENGTH } from '../../../src/mesh/fs/search-pattern.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as MeshError).code;
  }
  return undefined;
};

describe('compileLineTest', () => {
  it('plain strings match as substrings, with or without case; special characters are literal', () => {
    expect(compileLineTest({ pattern: 'a.b', regex: false, ignoreCase: false })('xa.by')).toBe(true);
    expect(compileLineTest({ pattern: 'a.b', regex: false, ignoreCase: false })('xacby')).toBe(false);
    expect(compileLineTest({ pattern: 'TODO', regex: false, ignoreCase: true })('a todo')).toBe(true);
  });

  it('case-folded regular expressions keep escapes ("\\D" stays a non-digit)', () => {
    expect(foldPatternCase('A\\DB[A-Z]')).toBe('a\\Db[a-z]');
    const t = compileLineTest({ pattern: '^ERR\\D\\d+$', regex: true, ignoreCase: true });
    expect(t('err-42')).toBe(true);
    expect(t('ERR442')).toBe(false);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'B', 'c', 'X'), maxLength: 20 }), fc.string({ unit: fc.constantFrom('a', 'b', 'C', 'x'), minLength: 1, maxLength: 4 }), (line, needle) => {
        const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(compileLineTest({ pattern: escaped, regex: true, ignoreCase: true })(line)).toBe(line.toLowerCase().includes(needle.toLowerCase()));
      }),
    );
  });

  it('refuses empty, oversized, malformed, backreferencing and lookaround patterns with PATTERN_INVALID', () => {
    for (const pattern of ['', 'x'.repeat(MAX_PATTERN_LENGTH + 1), '([a-z', '(a)\\1', '(?<n>a)\\k<n>', 'a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b']) {
      expect(codeOf(() => compileLineTest({ pattern, regex: pattern !== '' && pattern.length <= MAX_PATTERN_LENGTH, ignoreCase: false })), pattern.slice(0, 20)).toBe('PATTERN_INVALID');
    }
    // Escaped, these are plain characters, not backreferences or lookarounds.
    expect(compileLineTest({ pattern: '\\\\1\\(\\?=', regex: true, ignoreCase: false })('\\1(?=')).toBe(true);
  });

  it('a pattern that backtracks exponentially finishes at once (V8 linear-engine fallback)', () => {
    for (const ignoreCase of [false, true]) {
      const test = compileLineTest({ pattern: '(a+)+$', regex: true, ignoreCase });
      const line = `${'a'.repeat(26)}!`; // about 10 s of backtracking without the fallback
      const started = performance.now();
      expect(test(line)).toBe(false);
      expect(performance.now() - started, `ignoreCase ${ignoreCase}`).toBeLessThan(1_000);
    }
  });
});
