// Path rules (one set for session files and skills), attack by attack and
// against an independent reference model over generated paths.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import {
  MAX_PATH_LENGTH,
  isInside,
  joinInside,
  normalizeSessionPath,
  relativeSegments,
  validateNodeId,
  validateSessionName,
} from '../../../src/mesh/fs/paths.js';

const ROOT = path.resolve('/srv/mesh/sessions/root');

function errorOf(fn: () => unknown): MeshError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return err as MeshError;
  }
  throw new Error('expected a MeshError, nothing was thrown');
}

function expectRule(fn: () => unknown, code: string, rule: string): void {
  const err = errorOf(fn);
  expect(err.code).toBe(code);
  expect(err.details.rule).toBe(rule);
}

// Reference model, written independently of the implementation: classify a
// raw path, then walk its segments with a depth counter.
type Verdict = { kind: 'invalid' } | { kind: 'outside' } | { kind: 'ok'; segments: string[] };

function referenceModel(raw: string): Verdict {
  if (raw.indexOf('\0') !== -1) return { kind: 'invalid' };
  const first = raw.charAt(0);
  if (first === '/' || first === '\\') return { kind: 'outside' };
  if (raw.length >= 2 && raw.charAt(1) === ':' && /[A-Za-z]/.test(first)) return { kind: 'outside' };
  const kept: string[] = [];
  let depth = 0;
  let segment = '';
  const flush = (): boolean => {
    if (segment === '..') {
      depth -= 1;
      if (depth < 0) return false;
      kept.length = depth;
    } else if (segment !== '' && segment !== '.') {
      kept[depth] = segment;
      depth += 1;
    }
    segment = '';
    return true;
  };
  for (const ch of raw) {
    if (ch === '/' || ch === '\\') {
      if (!flush()) return { kind: 'outside' };
    } else {
      segment += ch;
    }
  }
  if (!flush()) return { kind: 'outside' };
  const segments = kept.slice(0, depth);
  if (segments.length > 0 && /^[A-Za-z]:/.test(segments[0])) return { kind: 'outside' };
  return { kind: 'ok', segments };
}

/** Model containment: the candidate's segments start with the root's segments. */
function modelInside(root: string, candidate: string): boolean {
  const r = root.split('/').filter(Boolean);
  const c = candidate.split('/').filter(Boolean);
  if (c.includes('..') || c.includes('.')) return false;
  return r.every((s, i) => c[i] === s);
}

const segmentArb = fc.constantFrom(
  '..',
  '..',
  '.',
  '',
  'a',
  'b',
  'root',
  'root-evil',
  'é',
  '日本',
  '😀',
  '\0',
  'foo\0bar',
  '...',
  '..a',
  'C:',
  'x y',
);
const sepArb = fc.constantFrom('/', '\\', '//', '\\\\');
const prefixArb = fc.constantFrom('', '', '', '', '/', '\\', '\\\\', '//', 'C:', 'c:\\', 'Z:/');
const pathArb = fc
  .tuple(prefixArb, fc.array(fc.tuple(segmentArb, sepArb), { maxLength: 8 }), segmentArb)
  .map(([prefix, parts, last]) => prefix + parts.map(([s, sep]) => s + sep).join('') + last);

describe('normalizeSessionPath, generated paths against the reference model', () => {
  it('agrees with the model on 10,000 paths: escapes, NUL bytes and accepted paths', () => {
    let accepted = 0;
    let outside = 0;
    let invalid = 0;
    fc.assert(
      fc.property(pathArb, (raw) => {
        const verdict = referenceModel(raw);
        if (verdict.kind === 'invalid') {
          invalid++;
          expect(errorOf(() => normalizeSessionPath(raw)).code).toBe('PATH_INVALID');
        } else if (verdict.kind === 'outside') {
          outside++;
          expect(errorOf(() => normalizeSessionPath(raw)).code).toBe('PATH_OUTSIDE_SESSION');
        } else {
          accepted++;
          const normalized = normalizeSessionPath(raw);
          expect(normalized).toBe(verdict.segments.length === 0 ? '.' : verdict.segments.join('/'));
          const joined = joinInside(ROOT, raw);
          expect(isInside(ROOT, joined)).toBe(true);
          expect(modelInside(ROOT.split(path.sep).join('/'), joined.split(path.sep).join('/'))).toBe(true);
        }
      }),
      { numRuns: 10_000 },
    );
    // The generator must exercise every branch, not only one.
    expect(accepted).toBeGreaterThan(500);
    expect(outside).toBeGreaterThan(500);
    expect(invalid).toBeGreaterThan(500);
  });

  it('is idempotent: a normalized path normalizes to itself', () => {
    fc.assert(
      fc.property(pathArb, (raw) => {
        if (referenceModel(raw).kind !== 'ok') return;
        const once = normalizeSessionPath(raw);
        expect(normalizeSessionPath(once)).toBe(once);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('relativeSegments, the rules seen by the skills module', () => {
  it('normalizes "." and empty segments, and treats "\\" as a separator', () => {
    expect(relativeSegments('skills/./my-skill/')).toEqual(['skills', 'my-skill']);
    expect(relativeSegments('skills\\my-skill\\SKILL.md')).toEqual(['skills', 'my-skill', 'SKILL.md']);
    expect(relativeSegments('skills/x/../my-skill')).toEqual(['skills', 'my-skill']);
  });

  it('names the broken rule with the same names as normalizeSessionPath', () => {
    expectRule(() => relativeSegments(''), 'PATH_INVALID', 'empty');
    expectRule(() => relativeSegments('./.'), 'PATH_INVALID', 'empty');
    expectRule(() => relativeSegments('a/..'), 'PATH_INVALID', 'empty');
    expectRule(() => relativeSegments('a\0b'), 'PATH_INVALID', 'nul-byte');
    expectRule(() => relativeSegments(3 as unknown as string), 'PATH_INVALID', 'type');
    expectRule(() => relativeSegments('/etc/passwd'), 'PATH_OUTSIDE_SESSION', 'absolute');
    expectRule(() => relativeSegments('C:\\x'), 'PATH_OUTSIDE_SESSION', 'absolute');
    expectRule(() => relativeSegments('c:x'), 'PATH_OUTSIDE_SESSION', 'absolute');
    expectRule(() => relativeSegments('\\\\server\\share'), 'PATH_OUTSIDE_SESSION', 'absolute');
    expectRule(() => relativeSegments('skills/../../x'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
    expectRule(() => relativeSegments('skills\\..\\..\\x'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
  });

  it('agrees with the reference model on generated paths, and never returns a segment that climbs or is empty', () => {
    fc.assert(
      fc.property(pathArb, (raw) => {
        const verdict = referenceModel(raw);
        if (verdict.kind === 'ok' && verdict.segments.length > 0) {
          const segments = relativeSegments(raw);
          expect(segments).toEqual(verdict.segments);
          expect(segments.every((s) => s !== '..' && s !== '.' && s !== '' && !/[\\/]/.test(s))).toBe(true);
        } else {
          const err = errorOf(() => relativeSegments(raw));
          expect(err.code).toBe(verdict.kind === 'outside' ? 'PATH_OUTSIDE_SESSION' : 'PATH_INVALID');
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('isInside, generated roots and candidates', () => {
  it('agrees with path.relative on generated paths, ".." included', () => {
    const seg = fc.constantFrom('a', 'b', 'ab', '..', '.');
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 4 }), fc.array(seg, { maxLength: 5 }), (r, c) => {
        const root = path.resolve('/', ...r);
        const candidate = path.resolve('/', ...c);
        const rel = path.relative(root, candidate);
        const expected = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
        expect(isInside(root, candidate)).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  const nameArb = fc.constantFrom('root', 'root-evil', 'roo', 'rootx', 'a', 'é', '日本');
  it('matches segment-prefix containment and never a string prefix', () => {
    fc.assert(
      fc.property(fc.array(nameArb, { maxLength: 4 }), fc.array(nameArb, { maxLength: 6 }), (r, c) => {
        const root = path.resolve('/', ...r);
        const candidate = path.resolve('/', ...c);
        const expected = r.length <= c.length && r.every((s, i) => c[i] === s);
        expect(isInside(root, candidate)).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('normalizeSessionPath, attack by attack', () => {
  it.each([
    ['../etc/passwd', 'dot-dot'],
    ['..', 'dot-dot'],
    ['a/../../b', 'dot-dot'],
    ['a/b/../../../c', 'dot-dot'],
    ['..\\..\\Windows\\win.ini', 'dot-dot'],
    ['./../x', 'dot-dot'],
    ['/etc/passwd', 'absolute'],
    ['C:\\Windows', 'absolute'],
    ['C:/Windows', 'absolute'],
    ['c:relative', 'absolute'],
    ['\\\\server\\share', 'absolute'],
    ['//server/share', 'absolute'],
    ['\\x', 'absolute'],
    ['a/../C:/Windows', 'absolute'],
  ])('%j is refused with PATH_OUTSIDE_SESSION rule %s', (input, rule) => {
    expectRule(() => normalizeSessionPath(input), 'PATH_OUTSIDE_SESSION', rule);
  });

  it('names the rule in words', () => {
    expect(errorOf(() => normalizeSessionPath('../x')).message).toBe(
      `path "../x" escapes the session root ('..' segment)`,
    );
  });

  it('refuses NUL bytes, wrong types and overlong paths with PATH_INVALID', () => {
    expectRule(() => normalizeSessionPath('foo\0bar'), 'PATH_INVALID', 'nul-byte');
    expectRule(() => normalizeSessionPath('../\0'), 'PATH_INVALID', 'nul-byte');
    expect(errorOf(() => normalizeSessionPath('foo\0bar')).message).toContain('\\u0000');
    expectRule(() => normalizeSessionPath(42 as unknown as string), 'PATH_INVALID', 'type');
    expectRule(() => normalizeSessionPath(undefined as unknown as string), 'PATH_INVALID', 'type');
    expectRule(() => normalizeSessionPath('a'.repeat(MAX_PATH_LENGTH + 1)), 'PATH_INVALID', 'length');
    expect(normalizeSessionPath('a'.repeat(MAX_PATH_LENGTH))).toBe('a'.repeat(MAX_PATH_LENGTH));
  });

  it.each([
    ['', '.'],
    ['.', '.'],
    ['./', '.'],
    ['a/..', '.'],
    ['a/../b', 'b'],
    ['a//b', 'a/b'],
    ['a/./b/', 'a/b'],
    ['a\\b\\c.txt', 'a/b/c.txt'],
    ['...', '...'],
    ['..foo/bar..', '..foo/bar..'],
    ['日本/é/😀.md', '日本/é/😀.md'],
    ['ab:c', 'ab:c'],
  ])('%j normalizes to %j', (input, expected) => {
    expect(normalizeSessionPath(input)).toBe(expected);
  });
});

describe('isInside and joinInside', () => {
  it('compares segments, not string prefixes', () => {
    expect(isInside('/root', '/root')).toBe(true);
    expect(isInside('/root', '/root/a/b')).toBe(true);
    expect(isInside('/root', '/root-evil')).toBe(false);
    expect(isInside('/root', '/root-evil/x')).toBe(false);
    expect(isInside('/root/', '/root/a')).toBe(true);
    expect(isInside('/root', '/roo')).toBe(false);
    expect(isInside('/root', '/root/../etc')).toBe(false);
    expect(isInside('/', '/anything')).toBe(true);
    expect(isInside('root', '/root/a')).toBe(false);
    expect(isInside('/root', 'root/a')).toBe(false);
  });

  it('joins normalized paths under the root and refuses escapes', () => {
    expect(joinInside(ROOT, 'a/../b.txt')).toBe(path.join(ROOT, 'b.txt'));
    expect(joinInside(ROOT, '')).toBe(ROOT);
    expect(joinInside(ROOT, 'x\\y')).toBe(path.join(ROOT, 'x', 'y'));
    expectRule(() => joinInside(ROOT, '../root-evil/x'), 'PATH_OUTSIDE_SESSION', 'dot-dot');
    expectRule(() => joinInside(ROOT, '/etc/passwd'), 'PATH_OUTSIDE_SESSION', 'absolute');
  });
});

describe('session names and node ids', () => {
  it('accepts valid names and returns them', () => {
    expect(validateSessionName('demo')).toBe('demo');
    expect(validateSessionName('a')).toBe('a');
    expect(validateSessionName('Proj_1.2-x')).toBe('Proj_1.2-x');
    expect(validateSessionName('a'.repeat(64))).toBe('a'.repeat(64));
    expect(validateNodeId('laptop-01')).toBe('laptop-01');
    expect(validateNodeId('n'.repeat(128))).toBe('n'.repeat(128));
  });

  it.each(['', '.', '..', '.hidden', '-x', '_x', 'a/b', 'a\\b', 'a b', 'é', 'a\0', 'a\n', 'a'.repeat(65)])(
    'refuses session name %j',
    (name) => {
      expect(errorOf(() => validateSessionName(name)).code).toBe('INVALID_SESSION_NAME');
    },
  );

  it.each(['', '..', '.n', 'a/b', 'n'.repeat(129), 'x y'])('refuses node id %j', (id) => {
    expect(errorOf(() => validateNodeId(id)).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses non-strings', () => {
    expect(errorOf(() => validateSessionName(7 as unknown as string)).code).toBe('INVALID_SESSION_NAME');
    expect(errorOf(() => validateNodeId(null as unknown as string)).code).toBe('INVALID_ARGUMENT');
  });
});
