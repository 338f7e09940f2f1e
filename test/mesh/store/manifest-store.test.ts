// The paged manifest store against a model (a Map): random full reports and
// deltas, on the real SQLite store, must leave exactly the model's entries,
// in code-point order, with the model's totals; pages split as they grow and
// go when emptied; limits refuse a copy past them.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { comparePaths } from '../../../src/mesh/fs/path-order.js';
import { entryBytes, ManifestStore, PAGE_ENTRIES, type StoredEntry } from '../../../src/mesh/store/manifest-store.js';
import { tempDir } from '../../support/processes.js';

let store: ManifestStore;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const tmp = await tempDir('manifest-store-');
  cleanup = tmp.cleanup;
  store = await ManifestStore.open(undefined, tmp.dir);
});
afterAll(async () => {
  await store.close();
  await cleanup();
});

const entry = (path: string, n = 0): StoredEntry => ({ path, size: n, mtimeMs: n, sha256: n.toString(16).padStart(64, '0') });

async function stored(session: string, node: string): Promise<StoredEntry[]> {
  const head = await store.head(session, node);
  const out: StoredEntry[] = [];
  for await (const page of store.entries(session, node, head!)) out.push(...page);
  return out;
}

it('comparePaths is the byte order of UTF-8', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
      expect(Math.sign(comparePaths(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }),
    { numRuns: 2_000 },
  );
});

it('a full report then random deltas leave exactly the model, sorted, with its totals', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      // size 'max': lengths up to maxLength (fast-check keeps them near 10 otherwise), so pages fill, split and empty.
      fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 3_000, size: 'max' }),
      fc.array(
        fc.record({
          add: fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.nat(9)), { maxLength: 2_500, size: 'max' }),
          remove: fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 2_500, size: 'max' }),
        }),
        { maxLength: 6 },
      ),
      async (initial, deltas) => {
        const session = `s${run++}`;
        const model = new Map<string, StoredEntry>();
        const name = (i: number) => `d${i % 7}/f${i}`;
        for (const i of initial) model.set(name(i), entry(name(i), i));
        const writer = store.beginFull(session, 'n', 'e1', 1, undefined);
        await writer.add([...model.values()].sort((a, b) => comparePaths(a.path, b.path)));
        let head = await writer.finish();
        let seq = 1;
        for (const d of deltas) {
          const changed = d.add.map(([i, v]) => entry(name(i), v));
          const removed = d.remove.map(name);
          for (const p of removed) model.delete(p);
          for (const e of changed) model.set(e.path, e);
          // A path both removed and changed in one delta ends changed (removals are applied first).
          head = await store.applyDelta(session, 'n', head, ++seq, changed, removed);
        }
        const expected = [...model.values()].sort((a, b) => comparePaths(a.path, b.path));
        expect(await stored(session, 'n')).toEqual(expected);
        expect(head.count).toBe(expected.length);
        expect(head.bytes).toBe(expected.reduce((n, e) => n + entryBytes(e), 0));
        expect(head.seq).toBe(seq);
        const reread = await store.head(session, 'n');
        expect(reread).toEqual(head);
        for (const ref of head.pages) expect((await store.page(session, 'n', ref.id)).length).toBeLessThanOrEqual(2 * PAGE_ENTRIES);
      },
    ),
    { numRuns: 25 },
  );
}, 120_000);

it('a full report out of path order is refused; the previous manifest stays', async () => {
  const first = store.beginFull('order', 'n', 'e1', 3, undefined);
  await first.add([entry('a'), entry('b')]);
  const head = await first.finish();
  const second = store.beginFull('order', 'n', 'e1', 4, head);
  await expect(second.add([entry('c'), entry('b')])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await second.abort();
  expect((await stored('order', 'n')).map((e) => e.path)).toEqual(['a', 'b']);
});

it('a copy past the file limit is refused with LIMIT_EXCEEDED', async () => {
  const writer = store.beginFull('big', 'n', 'e1', 1, undefined);
  const many = Array.from({ length: 100_001 }, (_, i) => entry(`f${String(i).padStart(6, '0')}`));
  await expect(writer.add(many)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/more than 100000 files/) });
  await writer.abort();
}, 60_000);
