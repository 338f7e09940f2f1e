// Session rules of the HTTP endpoint: expiry is pure and property-tested;
// the table refuses past the cap instead of evicting, counts running
// requests, and closes only what expired.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { HttpSessions, isSessionExpired, sweepPeriodMs } from '../../src/mcp/http-sessions.js';

const limits = { maxSessions: 3, sessionIdleMs: 1_000, sessionInitIdleMs: 100 };

describe('isSessionExpired', () => {
  it('never expires a session with a running request; otherwise expires exactly past its limit', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.boolean(), fc.nat(3), (lastSeen, elapsed, established, active) => {
        const expired = isSessionExpired({ lastSeen, established, active }, lastSeen + elapsed, limits);
        const limit = established ? limits.sessionIdleMs : limits.sessionInitIdleMs;
        expect(expired).toBe(active === 0 && elapsed >= limit);
      }),
    );
  });

  it('sweeps often enough for the shortest limit, within bounds', () => {
    expect(sweepPeriodMs(limits)).toBe(100);
    expect(sweepPeriodMs({ sessionIdleMs: 30 * 60_000, sessionInitIdleMs: 60_000 })).toBe(15_000);
    expect(sweepPeriodMs({ sessionIdleMs: 40_000, sessionInitIdleMs: 8_000 })).toBe(2_000);
  });
});

class Fake {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('HttpSessions', () => {
  const table = (clock: { now: number }) => new HttpSessions<Fake>(limits, silentLogger, () => clock.now);

  it('refuses a slot at the cap, counting initializations in progress, and never evicts', async () => {
    const clock = { now: 0 };
    const sessions = table(clock);
    const a = new Fake();
    sessions.reserveSlot()!.fill('a', a);
    const pending = [sessions.reserveSlot(), sessions.reserveSlot()];
    expect(pending.every(Boolean)).toBe(true);
    expect(sessions.full).toBe(true);
    expect(sessions.reserveSlot()).toBeUndefined();
    expect(a.closed).toBe(false);
    // A failed initialize gives its slot back (once, however often released).
    pending[0]!.release();
    pending[0]!.release();
    expect(sessions.reserveSlot()).toBeDefined();
    expect(sessions.reserveSlot()).toBeUndefined();
    await sessions.closeAll();
  });

  it('expires bare initializations quickly, idle sessions slowly, and busy ones never', async () => {
    const clock = { now: 0 };
    const sessions = table(clock);
    const [bare, idle, busy] = [new Fake(), new Fake(), new Fake()];
    sessions.reserveSlot()!.fill('bare', bare);
    sessions.reserveSlot()!.fill('idle', idle);
    sessions.reserveSlot()!.fill('busy', busy);
    sessions.begin('idle')(); // one request, finished: established
    const done = sessions.begin('busy'); // a long call still running

    clock.now = 150;
    expect(sessions.sweep()).toEqual(['bare']);
    expect(sessions.get('bare')).toBeUndefined();
    clock.now = 5_000;
    expect(sessions.sweep()).toEqual(['idle']);
    expect(sessions.get('busy')).toBe(busy);
    done();
    expect(sessions.sweep()).toEqual([]); // it just finished a request
    clock.now = 6_000;
    expect(sessions.sweep()).toEqual(['busy']);
    await new Promise((r) => setImmediate(r));
    expect([bare.closed, idle.closed, busy.closed]).toEqual([true, true, true]);
    expect(sessions.size).toBe(0);
    await sessions.closeAll();
  });

  it('closeAll closes every session', async () => {
    const sessions = table({ now: 0 });
    const fakes = [new Fake(), new Fake()];
    fakes.forEach((f, i) => sessions.reserveSlot()!.fill(String(i), f));
    await sessions.closeAll();
    expect(fakes.every((f) => f.closed)).toBe(true);
    expect(sessions.size).toBe(0);
  });
});
