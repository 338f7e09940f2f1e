// The log store on a real file: random operations against a Map model, with
// reopens and compactions in between, leave exactly the model; a torn tail is
// cut at open; a second process-level opener is refused; Keyv on top of it
// lists a namespace.
import fc from 'fast-check';
import { appendFile, readdir, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openKeyv } from '../../../src/mesh/store/open-keyv.js';
import { LogStore } from '../../../src/mesh/store/log-store.js';
import { tempDir } from '../../support/processes.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('log-store-')));
afterAll(() => cleanup());

const key = fc.constantFrom('a', 'b', 'c', 'mesh:d', 'mesh:e', 'é', '');
const ops = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.string({ unit: 'grapheme', maxLength: 300 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
    { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
  ),
  { maxLength: 60, size: 'medium' },
);

async function contents(store: LogStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const [k, v] of store.iterator()) out.set(k, v);
  return out;
}

it('random sets, deletes and reopens leave exactly the model, compacting on the way', async () => {
  let run = 0;
  let compactions = 0;
  await fc.assert(
    fc.asyncProperty(ops, async (list) => {
      const file = path.join(dir, `model-${run++}.kvlog`);
      // A tiny compaction threshold: most runs compact, some several times.
      const openStore = () => LogStore.open(file, { compactMinBytes: 64 });
      let store = await openStore();
      const model = new Map<string, string>();
      try {
        for (const step of list) {
          if (step.op === 'reopen') {
            compactions += store.stats().compactions;
            await store.disconnect();
            store = await openStore();
          } else if (step.op === 'set') {
            await store.set(step.key, step.value);
            model.set(step.key, step.value);
          } else {
            expect(await store.delete(step.key)).toBe(model.delete(step.key));
          }
          expect(store.stats().live).toBeLessThanOrEqual(store.stats().file);
        }
        expect(await contents(store)).toEqual(model);
        compactions += store.stats().compactions;
        await store.disconnect();
        store = await openStore();
        expect(await contents(store)).toEqual(model);
        expect((await stat(file)).size).toBe(store.stats().file);
      } finally {
        await store.disconnect();
      }
    }),
    { numRuns: 40, endOnFailure: true },
  );
  expect(compactions).toBeGreaterThan(0);
  expect((await readdir(dir)).filter((n) => n.endsWith('.compact'))).toEqual([]);
});

it('concurrent writes are all acknowledged and all kept', async () => {
  const file = path.join(dir, 'concurrent.kvlog');
  let store = await LogStore.open(file);
  await Promise.all(Array.from({ length: 500 }, (_, i) => store.set(`k${i}`, `v${i}`)));
  await store.disconnect();
  store = await LogStore.open(file);
  const got = await contents(store);
  expect(got.size).toBe(500);
  for (let i = 0; i < 500; i++) expect(got.get(`k${i}`)).toBe(`v${i}`);
  await store.disconnect();
});

it('reads running while compactions move every record return the right values', async () => {
  const file = path.join(dir, 'reads-during-compaction.kvlog');
  const store = await LogStore.open(file, { compactMinBytes: 1024 });
  // Churn first, of a varying size: each compaction moves the fixed keys' records to a new offset.
  await store.set('churn', '');
  for (let i = 0; i < 20; i++) await store.set(`fixed-${i}`, `value-${i}`);
  const reads: Array<Promise<void>> = [];
  for (let round = 0; round < 200; round++) {
    // Reads left running across the next write, and the compaction it sets off.
    for (let i = round % 20; i < 20; i += 7) reads.push(store.get(`fixed-${i}`).then((v) => expect(v).toBe(`value-${i}`)));
    await store.set('churn', 'x'.repeat(100 + round));
  }
  await Promise.all(reads);
  expect(store.stats().compactions).toBeGreaterThan(3);
  await store.disconnect();
});

it('a torn tail is cut at open and the whole records before it kept', async () => {
  const file = path.join(dir, 'torn.kvlog');
  let store = await LogStore.open(file);
  await store.set('kept', 'yes');
  await store.set('last', 'x'.repeat(100));
  const whole = store.stats().file;
  await store.disconnect();
  // The last record cut in its body, then garbage after a whole log.
  await truncate(file, whole - 10);
  store = await LogStore.open(file);
  expect(await contents(store)).toEqual(new Map([['kept', 'yes']]));
  const cutAt = store.stats().file;
  expect((await stat(file)).size).toBe(cutAt);
  await store.set('after', 'a');
  await store.disconnect();
  await appendFile(file, Buffer.from([1, 2, 3, 0, 0, 0, 0, 0, 9, 9, 9]));
  store = await LogStore.open(file);
  expect(await contents(store)).toEqual(new Map([['kept', 'yes'], ['after', 'a']]));
  await store.disconnect();
});

it('a second opener of an open store is refused, naming the file', async () => {
  const file = path.join(dir, 'locked.kvlog');
  // Every opener of a file must use the same staleness (the holder refreshes its lock at half of it).
  const store = await LogStore.open(file, { lockStaleMs: 2_000 });
  await expect(LogStore.open(file, { lockStaleMs: 2_000 })).rejects.toThrow(/locked\.kvlog is open in another process/);
  await store.disconnect();
  const again = await LogStore.open(file);
  await again.disconnect();
});

it('behind Keyv: namespaced get, set, delete and listing', async () => {
  const data = path.join(dir, 'keyv');
  const opened = await openKeyv(undefined, data, 'mesh', 'log');
  expect(opened.describe).toBe(`log:${path.join(data, 'mesh.kvlog')}`);
  await opened.keyv.set('one', { n: 1 });
  await opened.keyv.set('two', { n: 2 });
  expect(await opened.keyv.get('one')).toEqual({ n: 1 });
  expect(await opened.keyv.delete('one')).toBe(true);
  const listed: Array<[string, unknown]> = [];
  for await (const entry of opened.keyv.iterator!(opened.keyv.namespace)) listed.push(entry as [string, unknown]);
  expect(listed).toEqual([['two', { n: 2 }]]);
  await opened.close();
  // The folder keeps its kind: a later open that prefers SQLite finds the log store and uses it.
  const reopened = await openKeyv(undefined, data, 'mesh', 'sqlite');
  expect(reopened.describe).toBe(`log:${path.join(data, 'mesh.kvlog')}`);
  expect(await reopened.keyv.get('two')).toEqual({ n: 2 });
  await reopened.close();
});
