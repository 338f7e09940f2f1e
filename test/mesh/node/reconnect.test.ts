// A node that loses its hub keeps retrying with growing, jittered delays
// and attaches as soon as the hub is back.
import fc from 'fast-check';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/mesh/node/backoff.js';
import { freePort, killAll, startHubProc, startNodeProc, tempDir, waitAttached } from '../../support/processes.js';

afterAll(killAll);

describe('backoffDelay', () => {
  it('stays within the jitter band of 1 s x 1.6^n, capped at 30 s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (attempt, r) => {
        const d = backoffDelay(attempt, DEFAULT_BACKOFF, r);
        const base = Math.min(30_000, 1_000 * 1.6 ** attempt);
        return d >= Math.floor(base * 0.8) && d <= Math.min(30_000, Math.ceil(base * 1.2)) && d <= 30_000;
      }),
    );
  });

  it('grows until the cap', () => {
    const mid = (n: number) => backoffDelay(n, DEFAULT_BACKOFF, 0.5);
    expect([0, 1, 2, 3].map(mid)).toEqual([1000, 1600, 2560, 4096]);
    expect(mid(20)).toBe(30_000);
  });
});

it('retries with growing, jittered delays and attaches once the hub is back', async () => {
  const tmp = await tempDir();
  try {
    const port = await freePort();
    const node = startNodeProc({ id: 'lonely', workspace: path.join(tmp.dir, 'ws'), hubPort: port, sessions: ['s'] });
    // Four failed attempts with no hub: about 1 + 1.6 + 2.6 s.
    await node.waitFor((l) => l.includes('"attempt":3') && l.includes('retrying'), 20_000);
    const delays = node.lines.filter((l) => l.includes('retrying')).map((l) => JSON.parse(l).delayMs as number);
    expect(delays.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < 4; i++) expect(delays[i]!).toBeGreaterThan(delays[i - 1]! * 1.6 * (0.8 / 1.2) - 1);
    // Jitter: delays are not the bare exponential sequence.
    expect(delays.slice(0, 4)).not.toEqual([1000, 1600, 2560, 4096]);

    const hub = await startHubProc({ dataDir: path.join(tmp.dir, 'hub'), grpcPort: port });
    const attached = JSON.parse(await waitAttached(node, 1, 40_000)).time as number;
    // It attaches within one retry of the hub coming up: times from the two
    // processes' own log lines, so a slow hub start-up does not count.
    const listening = JSON.parse(hub.lines.find((l) => l.includes('"msg":"hub listening for nodes"'))!).time as number;
    const retries = node.lines.filter((l) => l.includes('retrying')).map((l) => JSON.parse(l) as { time: number; delayMs: number });
    // Counted, not timed (a loaded machine stretches every step): once the hub
    // listens, the node's next attempt attaches. One failure may still be
    // logged after `listening`, from an attempt that started before it.
    expect(retries.filter((r) => r.time > listening && r.time <= attached).length).toBeLessThanOrEqual(1);
    expect(attached).toBeGreaterThan(listening);
  } finally {
    await killAll();
    await tmp.cleanup();
  }
});
