// The shared chunk cache: a frame is loaded once for all readers, dropped
// once every expected reader had it, and over budget frames some node read
// go before unread ones, unread ones furthest ahead first; the bound holds
// whatever the order of puts and reads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkCache } from '../../../src/mesh/hub/chunk-cache.js';

const frame = (bytes: number) => Buffer.alloc(bytes);

describe('ChunkCache', () => {
  it('loads a frame once for all its readers and drops it after the last', async () => {
    const cache = new ChunkCache(100);
    let loads = 0;
    const load = () => (loads++, Promise.resolve(frame(10)));
    const first = await cache.get('t', 0, 3, load);
    expect(await cache.get('t', 0, 3, load)).toBe(first);
    expect(await cache.get('t', 0, 3, load)).toBe(first);
    expect(loads).toBe(1);
    expect(cache.size).toBe(0); // the third reader was the last expected
  });

  it('over budget, evicts frames already read by some node, then unread ones furthest ahead', async () => {
    const cache = new ChunkCache(30);
    for (const i of [0, 1, 2]) cache.put('t', i, frame(10), 2);
    await cache.get('t', 0, 2, () => Promise.reject(new Error('cached')));
    cache.put('t', 3, frame(10), 2); // over budget: chunk 0 (read once) goes
    let reloaded = 0;
    await cache.get('t', 0, 2, () => (reloaded++, Promise.resolve(frame(10))));
    expect(reloaded).toBe(1);
    // Chunks 1 and 2 (unread, behind) stayed; 3 (furthest ahead) went for the reload.
    await cache.get('t', 1, 2, () => Promise.reject(new Error('should be cached')));
    await cache.get('t', 2, 2, () => Promise.reject(new Error('should be cached')));
  });

  it('never holds more than its bound once loads settle, whatever the order of puts and reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ put: fc.boolean(), index: fc.nat({ max: 20 }), size: fc.integer({ min: 1, max: 40 }), expected: fc.integer({ min: 1, max: 4 }) }), { maxLength: 60 }),
        async (ops) => {
          const cache = new ChunkCache(64);
          for (const op of ops) {
            if (op.put) cache.put('t', op.index, frame(op.size), op.expected);
            else await cache.get('t', op.index, op.expected, () => Promise.resolve(frame(op.size)));
            expect(cache.size).toBeLessThanOrEqual(64);
            expect(cache.size).toBeGreaterThanOrEqual(0);
          }
          cache.dropTransfer('t');
          expect(cache.size).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
