// The staging gate: a reader of chunk k is released exactly when k is
// staged, the whole-file waiter only at finish, and every waiter learns why
// staging failed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StagingGate } from '../../../src/mesh/hub/staging-gate.js';

const settled = async (p: Promise<void>): Promise<'resolved' | 'rejected' | 'pending'> => {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('StagingGate', () => {
  it('releases a reader of chunk k once k is staged, never before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat({ max: 40 }), { maxLength: 10 }), async (total, steps) => {
        const gate = new StagingGate(total, 0);
        const index = Math.floor(total / 2);
        const waiting = gate.whenStaged(index, 60_000);
        let staged = 0;
        for (const step of steps) {
          staged = Math.min(total, Math.max(staged, step));
          gate.advance(staged);
          expect(await settled(waiting)).toBe(staged > index ? 'resolved' : 'pending');
          if (staged > index) return;
        }
        gate.finish();
        expect(await settled(waiting)).toBe('resolved');
      }),
      { numRuns: 100 },
    );
  });

  it('releases the whole-file waiter only at finish, even with every chunk staged', async () => {
    const gate = new StagingGate(3, 0);
    const whole = gate.whenComplete(60_000);
    gate.advance(3);
    expect(await settled(whole)).toBe('pending'); // the last batch's source check and record write are not done
    gate.finish();
    expect(await settled(whole)).toBe('resolved');
    expect(await settled(new StagingGate(2, 2).whenComplete(1))).toBe('resolved'); // restored complete
  });

  it('rejects every waiter, and every later one, with the reason staging failed', async () => {
    const gate = new StagingGate(4, 1);
    const reader = gate.whenStaged(2, 60_000);
    const whole = gate.whenComplete(60_000);
    gate.fail(new Error('source changed'));
    await expect(reader).rejects.toThrow('source changed');
    await expect(whole).rejects.toThrow('source changed');
    await expect(gate.whenStaged(3, 60_000)).rejects.toThrow('source changed');
    await expect(gate.whenStaged(0, 60_000)).resolves.toBeUndefined(); // staged before the failure
  });

  it('gives up on a chunk not staged in time', async () => {
    await expect(new StagingGate(2, 0).whenStaged(1, 20)).rejects.toMatchObject({ code: 'NODE_TIMEOUT' });
  });
});
