// Grant rules, checked against a model: a grant list is a set of session
// names, or "every session".
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { addGrants, grantsSession, normalizeGrants, parseGrantList, parseSharedToken, removeGrants } from '../../../src/mesh/hub/grants.js';

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/);
const names = fc.uniqueArray(name, { maxLength: 6 });

it('grants exactly the listed sessions, or every one for *', () => {
  fc.assert(
    fc.property(names, name, (list, probe) => {
      const grants = normalizeGrants(list);
      expect(grantsSession(grants, probe)).toBe(list.includes(probe));
      expect(grantsSession(['*'], probe)).toBe(true);
    }),
    { numRuns: 2_000 },
  );
});

it('adding and removing behave as set union and difference', () => {
  fc.assert(
    fc.property(names, names, (a, b) => {
      const added = addGrants(normalizeGrants(a), normalizeGrants(b));
      expect(added).toEqual([...new Set([...a, ...b])].sort());
      const removed = removeGrants(normalizeGrants(a), normalizeGrants(b));
      expect(removed).toEqual(a.filter((x) => !b.includes(x)).sort());
    }),
    { numRuns: 2_000 },
  );
  expect(addGrants(['a'], ['*'])).toEqual(['*']);
  expect(removeGrants(['a'], ['*'])).toEqual([]);
  expect(() => removeGrants(['*'], ['a'])).toThrow(/--replace/);
});

it('parses operator lists and shared-token scopes, naming what is wrong', () => {
  expect(parseGrantList('b, a ,a')).toEqual(['a', 'b']);
  expect(parseGrantList('*')).toEqual(['*']);
  expect(() => parseGrantList('')).toThrow(/names no session/);
  expect(() => parseGrantList('a,*')).toThrow(/give it alone/);
  expect(() => parseGrantList('../x')).toThrow(/"..\/x" is not a session name/);
  expect(parseSharedToken('s3cret')).toEqual({ token: 's3cret' });
  expect(parseSharedToken('s3cret@demo+ops')).toEqual({ token: 's3cret', grants: ['demo', 'ops'] });
  expect(parseSharedToken('a@b@*')).toEqual({ token: 'a@b', grants: ['*'] });
  expect(() => parseSharedToken('@demo')).toThrow(/no token/);
  expect(() => parseSharedToken('tok@')).toThrow(/empty scope/);
});
