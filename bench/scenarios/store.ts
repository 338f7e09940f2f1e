// The hub's two embedded stores side by side, through Keyv as the hub uses
// them, on a real disk (fsync is what costs): SQLite (WAL, synchronous=FULL)
// and the log store of the MCP Bundle (append-only, fsync per group commit).
// Measured: one write at a time (the latency a tool call waits for), many
// writes at once (an attach storm's joins), reads, reopening a store of many
// keys (a hub restart), and the bytes on disk.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { openKeyv } from '../../src/mesh/store/open-keyv.js';
import type { EmbeddedKind } from '../../src/mesh/store/embedded-kind.js';
import { tmpWorkspace } from '../lib/proc.js';
import { percentile, printTable, writeResult } from '../lib/report.js';
import type { ScenarioOptions } from '../lib/scenario.js';

export const name = 'store';
export const describe = 'embedded stores, SQLite vs the log store: write latency, concurrent write rate, read latency, reopen time, bytes on disk';

/** A record the size of a delivery or membership record, bytes of JSON. */
const record = (i: number) => ({ id: `rec-${i}`, node: `node-${i % 97}`, session: 'bench', path: `folder/file-${i}.txt`, size: i * 13, sha256: 'ab'.repeat(32), state: 'pending', at: Date.now() });

async function bytesOf(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

async function measure(kind: EmbeddedKind, dir: string, quick: boolean) {
  const sequential = quick ? 200 : 1_000;
  const concurrent = quick ? 2_000 : 5_000;
  const keys = quick ? 5_000 : 20_000;
  let store = await openKeyv(undefined, dir, 'mesh', kind);
  const setMs: number[] = [];
  for (let i = 0; i < sequential; i++) {
    const t = performance.now();
    await store.keyv.set(`seq-${i}`, record(i));
    setMs.push(performance.now() - t);
  }
  let t = performance.now();
  await Promise.all(Array.from({ length: concurrent }, (_, i) => store.keyv.set(`conc-${i}`, record(i))));
  const concurrentPerS = concurrent / ((performance.now() - t) / 1000);
  // Fill to `keys` in batches of 1,000 concurrent writes, then overwrite half (dead records for the log store to compact).
  for (let from = 0; from < keys; from += 1_000) {
    await Promise.all(Array.from({ length: Math.min(1_000, keys - from) }, (_, j) => store.keyv.set(`k-${from + j}`, record(from + j))));
  }
  for (let from = 0; from < keys / 2; from += 1_000) {
    await Promise.all(Array.from({ length: 1_000 }, (_, j) => store.keyv.set(`k-${from + j}`, record(from + j + 1))));
  }
  const getMs: number[] = [];
  for (let i = 0; i < sequential; i++) {
    const t0 = performance.now();
    await store.keyv.get(`k-${(i * 7919) % keys}`);
    getMs.push(performance.now() - t0);
  }
  await store.close();
  t = performance.now();
  store = await openKeyv(undefined, dir, 'mesh', kind);
  await store.keyv.get('k-1');
  const reopenMs = performance.now() - t;
  await store.close();
  return {
    kind,
    'set p50 ms': percentile(setMs, 0.5),
    'set p99 ms': percentile(setMs, 0.99),
    'concurrent sets/s': Math.round(concurrentPerS),
    'get p50 ms': percentile(getMs, 0.5),
    [`reopen ${keys} keys ms`]: Math.round(reopenMs),
    'MiB on disk': (await bytesOf(dir)) / 1024 / 1024,
  };
}

export async function run({ quick }: ScenarioOptions): Promise<void> {
  // On disk, never tmpfs: fsync on tmpfs costs nothing and would hide the difference.
  const ws = await tmpWorkspace(false, 'mesh-bench-store-');
  try {
    const rows = [];
    for (const kind of ['sqlite', 'log'] as const) rows.push(await measure(kind, path.join(ws.dir, kind), quick));
    printTable('embedded stores through Keyv (one record ~300 bytes of JSON)', rows);
    await writeResult(name, { quick, rows });
  } finally {
    await ws.cleanup();
  }
}
