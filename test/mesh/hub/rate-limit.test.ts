// The per-node token bucket, on a clock the test moves.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { RateLimiter } from '../../../src/mesh/hub/rate-limit.js';

it('allows a burst, then the sustained rate, and counts what it refused', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 5, perMinute: 60 }, () => now);
  expect(Array.from({ length: 8 }, () => limiter.take('n'))).toEqual([true, true, true, true, true, false, false, false]);
  expect(limiter.drainRefused('n')).toBe(3);
  expect(limiter.drainRefused('n')).toBe(0);
  now += 1_000; // one more token a second at 60 a minute
  expect(limiter.take('n')).toBe(true);
  expect(limiter.take('n')).toBe(false);
  expect(limiter.take('other')).toBe(true); // keys are independent
});

it('never allows more than burst + rate x elapsed time', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 }), (gaps) => {
      let now = 0;
      const limiter = new RateLimiter({ burst: 10, perMinute: 120 }, () => now);
      let allowed = 0;
      for (const gap of gaps) {
        now += gap;
        if (limiter.take('k')) allowed++;
      }
      expect(allowed).toBeLessThanOrEqual(10 + Math.floor((now * 120) / 60_000));
    }),
  );
});
