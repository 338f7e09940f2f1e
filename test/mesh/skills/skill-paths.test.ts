import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { isWithin, relativeSegments } from '../../../src/mesh/skills/skill-paths.js';

function codeOf(fn: () => unknown): { code: string; rule: unknown } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return { code: (err as MeshError).code, rule: (err as MeshError).details.rule };
  }
  throw new Error('expected a refusal');
}

describe('relativeSegments', () => {
  it('normalizes "." and empty segments', () => {
    expect(relativeSegments('skills/./my-skill/')).toEqual(['skills', 'my-skill']);
  });
  it('names the broken rule', () => {
    expect(codeOf(() => relativeSegments(''))).toEqual({ code: 'PATH_INVALID', rule: 'empty' });
    expect(codeOf(() => relativeSegments('./.'))).toEqual({ code: 'PATH_INVALID', rule: 'empty' });
    expect(codeOf(() => relativeSegments('a\0b'))).toEqual({ code: 'PATH_INVALID', rule: 'nul' });
    expect(codeOf(() => relativeSegments('/etc/passwd'))).toEqual({ code: 'PATH_OUTSIDE_SESSION', rule: 'absolute' });
    expect(codeOf(() => relativeSegments('C:\\x'))).toEqual({ code: 'PATH_OUTSIDE_SESSION', rule: 'absolute' });
    expect(codeOf(() => relativeSegments('skills/../../x'))).toEqual({ code: 'PATH_OUTSIDE_SESSION', rule: 'dot-dot' });
  });
  it('never returns a segment that climbs or is empty', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '..', '', 'c.d'), { maxLength: 6 }), (parts) => {
        try {
          const segments = relativeSegments(parts.join('/'));
          expect(segments.every((s) => s !== '..' && s !== '.' && s !== '')).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(MeshError);
        }
      }),
    );
  });
});

describe('isWithin', () => {
  it('compares whole segments, not string prefixes', () => {
    expect(isWithin('/a/b', '/a/b')).toBe(true);
    expect(isWithin('/a/b', '/a/b/c')).toBe(true);
    expect(isWithin('/a/b', '/a/bc')).toBe(false);
    expect(isWithin('/a/b', '/a')).toBe(false);
    expect(isWithin('/a/b', '/a/b/../c')).toBe(false);
  });
  it('agrees with path.relative on generated paths', () => {
    const seg = fc.constantFrom('a', 'b', 'ab', '..', '.');
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 4 }), fc.array(seg, { maxLength: 5 }), (r, c) => {
        const root = path.resolve('/', ...r);
        const candidate = path.resolve('/', ...c);
        const rel = path.relative(root, candidate);
        const expected = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
        expect(isWithin(root, candidate)).toBe(expected);
      }),
    );
  });
});
