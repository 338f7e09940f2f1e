// Globs for find and grep: the syntax by example, refusals, and agreement
// with picomatch (a widely used implementation) over generated patterns and
// paths; the translation never uses what V8's linear engine cannot run.
import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { compileGlob, globSource, MAX_GLOB_LENGTH } from '../../../src/mesh/fs/glob.js';

describe('compileGlob', () => {
  it('matches by name without "/", by path with it', () => {
    const md = compileGlob('*.md');
    expect(['a.md', 'docs/a.md', 'x/y/.hidden.md'].every(md)).toBe(true);
    expect(md('a.mdx')).toBe(false);
    const deep = compileGlob('docs/**/*.md');
    expect(['docs/a.md', 'docs/x/y/a.md'].every(deep)).toBe(true);
    expect(['a.md', 'other/docs/a.md', 'docs/a.txt'].some(deep)).toBe(false);
    expect(compileGlob('file?.{ts,js}')('src/file1.js')).toBe(true);
    expect(compileGlob('file?.{ts,js}')('src/file10.js')).toBe(false);
    expect(compileGlob('[ab]*.txt')('b1.txt')).toBe(true);
    expect(compileGlob('[!ab]*.txt')('b1.txt')).toBe(false);
    expect(compileGlob('\\*.txt')('*.txt')).toBe(true);
    expect(compileGlob('\\*.txt')('a.txt')).toBe(false);
    expect(compileGlob('a/*/c')('a/b/x/c')).toBe(false);
    expect(compileGlob('a/***/c')('a/b/c')).toBe(true); // "***" is one "*"
    expect(compileGlob('a/***/c')('a/b/x/c')).toBe(false);
  });

  it('refuses malformed and oversized globs with PATTERN_INVALID', () => {
    for (const bad of ['{a,b', 'a\\', 'x'.repeat(MAX_GLOB_LENGTH + 1), `${'{'.repeat(9)}a${'}'.repeat(9)}`]) {
      expect(() => compileGlob(bad), bad.slice(0, 20)).toThrow(MeshError);
    }
  });

  it('agrees with picomatch (dot: true) on generated patterns and paths', () => {
    const segment = fc.array(fc.constantFrom('a', 'b', '.', '*', '?'), { minLength: 1, maxLength: 3 }).map((c) => c.join('')).filter((c) => c !== '.' && c !== '..'); // session paths hold neither
    const pattern = fc.array(fc.oneof(segment, fc.constant('**')), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    const path = fc.array(fc.constantFrom('a', 'b', 'ab', '.a', 'ba.b'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      // A trailing "/**" (or "/***") is left out: picomatch matches the folder itself for some prefixes ("a?/**" on "ab") and
      // not others ("*/**" on "a"); here it always means "below", never the folder.
      // Runs of three or more stars are left out too: picomatch reads them differently by position.
      fc.property(pattern.filter((p) => !/\/\*{2,}$/.test(p) && !/\*{3,}/.test(p)), path, (p, input) => {
        const byName = !p.includes('/');
        const expected = picomatch.isMatch(byName ? input.slice(input.lastIndexOf('/') + 1) : input, p, { dot: true });
        expect(compileGlob(p)(input), `${p} on ${input}`).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('never uses lookarounds or backreferences (the linear engine could not take over)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '*', '?', '/', '[', ']', '!', '{', '}', ',', '\\', '.'), maxLength: 30 }), (p) => {
        let source: string;
        try {
          source = globSource(p);
        } catch {
          return;
        }
        expect(source).not.toMatch(/\(\?[=!<]/);
        expect(source).not.toMatch(/\\[1-9]/);
      }),
    );
  });
});
