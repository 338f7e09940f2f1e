// What the audit log keeps of a tool call's arguments: never file contents,
// and a bounded size whatever a client sends.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { auditArguments, contentChars, MAX_STRING_CHARS } from '../../src/ops/audit-args.js';
import { rotationPlan } from '../../src/ops/audit-log.js';

it('replaces file contents by their length and keeps the rest', () => {
  expect(auditArguments({ session: 'demo', path: 'a.txt', content: 'secret text', encoding: 'utf8' })).toEqual({
    session: 'demo',
    path: 'a.txt',
    content: '(omitted: 11 chars)',
    encoding: 'utf8',
  });
  expect(contentChars({ session: 'demo', content: 'secret text' })).toBe(11);
  expect(auditArguments(undefined)).toEqual({});
});

const SECRET = 'S3CRET-CONTENT-MARKER';

it('never lets a content value through, at any depth, and stays small', () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 2000 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 60 }), fc.dictionary(fc.string({ maxLength: 20 }), tie('value'), { maxKeys: 60 })),
  })).value;
  fc.assert(
    fc.property(json, fc.string({ maxLength: 100 }), (args, extra) => {
      const out = JSON.stringify(auditArguments({ args, content: `${SECRET}${extra}`, nested: { content: SECRET } }));
      expect(out).not.toContain(SECRET);
      // 32 keys x 32 items x 4 levels of 512-char strings bounds it; far below this in practice.
      expect(out.length).toBeLessThan(2_000_000);
    }),
    { numRuns: 200 },
  );
});

it('cuts long strings and long lists', () => {
  const out = auditArguments({ path: 'x'.repeat(10_000), list: Array.from({ length: 100 }, (_, i) => i) }) as Record<string, any>;
  expect(out.path.length).toBeLessThan(MAX_STRING_CHARS + 40);
  expect(out.path).toContain('+9488 chars');
  expect(out.list).toHaveLength(33);
  expect(out.list.at(-1)).toBe('(+68 items)');
});

it('rotates oldest first, keeping at most `keep` old files', () => {
  expect(rotationPlan('a.log', 3)).toEqual([
    ['a.log.2', 'a.log.3'],
    ['a.log.1', 'a.log.2'],
    ['a.log', 'a.log.1'],
  ]);
  expect(rotationPlan('a.log', 0)).toEqual([]);
});
