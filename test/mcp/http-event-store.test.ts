// The SSE event store: ids parse back to their stream and sequence, a
// replay sends exactly what followed the last id seen, and memory stays
// within the per-session and total bounds, whatever is stored.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventBytes, parseEventId, SessionEventStore } from '../../src/mcp/http-event-store.js';

const note = (n: number, pad = 0): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: n, pad: 'x'.repeat(pad) } });

async function replay(store: SessionEventStore, after: string): Promise<Array<[string, JSONRPCMessage]>> {
  const sent: Array<[string, JSONRPCMessage]> = [];
  await store.replayEventsAfter(after, { send: async (id, m) => void sent.push([id, m]) });
  return sent;
}

describe('parseEventId', () => {
  it('reads back any stream id and sequence, and refuses what is not an id of ours', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (stream, seq) => {
        expect(parseEventId(`${stream}#${seq}`)).toEqual({ stream, seq });
      }),
    );
    for (const bad of ['', '#1', 'abc', 'abc#', 'abc#-1', 'abc#1.5', 'abc#x']) expect(parseEventId(bad), bad).toBeUndefined();
  });
});

describe('SessionEventStore', () => {
  it('replays exactly the events of that stream after the last id seen, priming events left out', async () => {
    const store = new SessionEventStore({ sessionBytes: 1 << 20, ttlMs: 60_000 }, new EventBytes(1 << 20));
    const priming = await store.storeEvent('a', {} as JSONRPCMessage);
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await store.storeEvent('a', note(i)));
      await store.storeEvent('b', note(100 + i));
    }
    expect((await replay(store, priming)).map(([, m]) => (m as any).params.progress)).toEqual([0, 1, 2, 3, 4]);
    expect((await replay(store, ids[2]!)).map(([id]) => id)).toEqual(ids.slice(3));
    expect(await store.getStreamIdForEventId(ids[0]!)).toBe('a');
    // Ids this session never handed out resume nothing.
    expect(await store.getStreamIdForEventId('other#1')).toBeUndefined();
    expect(await store.getStreamIdForEventId('a#999')).toBeUndefined();
    expect(await replay(store, 'other#1')).toEqual([]);
  });

  it('stays within its session share and the shared total, dropping the oldest first', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('s1', 's2'), fc.nat(3_000)), { maxLength: 200 }), async (events) => {
        const total = new EventBytes(12_000);
        const stores = { s1: new SessionEventStore({ sessionBytes: 8_000, ttlMs: 60_000 }, total), s2: new SessionEventStore({ sessionBytes: 8_000, ttlMs: 60_000 }, total) };
        for (const [s, pad] of events) {
          await stores[s as 's1' | 's2'].storeEvent('x', note(0, pad));
          expect(stores.s1.keptBytes).toBeLessThanOrEqual(8_000);
          expect(stores.s2.keptBytes).toBeLessThanOrEqual(8_000);
          expect(total.used).toBe(stores.s1.keptBytes + stores.s2.keptBytes);
          expect(total.used).toBeLessThanOrEqual(12_000);
        }
        stores.s1.clear();
        stores.s2.clear();
        expect(total.used).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('forgets events older than its time to live', async () => {
    let now = 0;
    const total = new EventBytes(1 << 20);
    const store = new SessionEventStore({ sessionBytes: 1 << 20, ttlMs: 1_000 }, total, () => now);
    const first = await store.storeEvent('a', note(1));
    await store.storeEvent('a', note(2));
    now = 1_500;
    const third = await store.storeEvent('a', note(3));
    expect((await replay(store, first)).map(([id]) => id)).toEqual([third]);
    expect(total.used).toBe(store.keptBytes);
    // A stream quiet for as long as events live is forgotten: its ids resume nothing any more.
    now = 3_000;
    await store.storeEvent('b', note(4));
    expect(await store.getStreamIdForEventId(third)).toBeUndefined();
    expect(await replay(store, third)).toEqual([]);
  });
});
