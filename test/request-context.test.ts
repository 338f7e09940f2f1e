// The request-id context: a received id is taken only when it looks like one
// (it goes into log lines), and running under "no id" clears an outer one.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { currentRequestId, receivedRequestId, withRequestId } from '../src/request-context.js';

it('a received request id is kept as it is, or dropped: never altered, never long, never with odd characters', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }), fc.anything()), (value) => {
      const got = receivedRequestId(value);
      if (got === undefined) return;
      expect(got).toBe(value);
      expect(got.length).toBeLessThanOrEqual(64);
      expect(got).toMatch(/^[A-Za-z0-9_-]+$/);
    }),
  );
  expect(receivedRequestId('0123456789abcdef')).toBe('0123456789abcdef');
  expect(receivedRequestId('')).toBeUndefined();
  expect(receivedRequestId('a\n{"forged":1}')).toBeUndefined();
  expect(receivedRequestId('x'.repeat(65))).toBeUndefined();
});

it('work run under no id does not inherit the id of the code that started it', async () => {
  await withRequestId('outer', async () => {
    expect(currentRequestId()).toBe('outer');
    await withRequestId(undefined, async () => {
      await Promise.resolve();
      expect(currentRequestId()).toBeUndefined();
    });
    expect(currentRequestId()).toBe('outer');
  });
});
