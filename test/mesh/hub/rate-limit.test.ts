// The per-node token bucket, on a clock the test moves.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { RateLimiter } from '../../../src/mesh/hub/rate-limit.js';

it('allows a burst, then the sustained rate', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 5, perMinute: 60 }, () => now);
  expect(Array.from({ length: 8 }, () => limiter.take('n'))).toEqual([true, true, true, true, true, false, false, false]);
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

it('keeps its state bounded however many keys come by, without forgetting a key that is being limited', () => {
  let now = 0;
  const limiter = new RateLimiter({ burst: 2, perMinute: 60 }, () => now);
  expect(limiter.take('busy')).toBe(true);
  expect(limiter.take('busy')).toBe(true);
  expect(limiter.take('busy')).toBe(false);
  // 20,000 one-off peers over 20 s, while "busy" keeps asking every millisecond.
  let busyAllowed = 0;
  for (let i = 0; i < 20_000; i++) {
    now += 1;
    limiter.take(`peer-${i}`);
    if (limiter.take('busy')) busyAllowed++;
  }
  expect(limiter.size).toBeLessThan(10_000);
  // Still limited at its rate (one a second), never handed a fresh burst by a prune.
  expect(busyAllowed).toBeLessThanOrEqual(20);
  expect(limiter.take('busy')).toBe(false);
});
