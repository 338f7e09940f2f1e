// SIGKILL a process in the middle of writing to a log store (group commits
// and compactions under way), reopen the file: every acknowledged set is
// there with its value (or, for a key overwritten, a later one), every
// acknowledged delete is gone, and the file holds whole records only (a torn
// tail cut, every record's CRC good).
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LogStore } from '../../../src/mesh/store/log-store.js';
import { tempDir } from '../../support/processes.js';

const WRITER = fileURLToPath(new URL('../../support/log-store-writer.ts', import.meta.url));
const ROUNDS = 3;
/** A `set` line stands for a lane record of at least this many bytes (and two small ones). */
const MIN_RECORD_BYTES = 200;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('log-crash-')));
afterAll(() => cleanup());

interface Acked {
  lastSet: Map<number, number>;
  sets: Set<string>;
  deletes: Set<string>;
}

/** Run the writer until `ackTarget` acknowledgements arrived (plus a random few), then SIGKILL it. */
async function writeAndKill(file: string, ackTarget: number): Promise<Acked> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: Acked = { lastSet: new Map(), sets: new Set(), deletes: new Set() };
  const extra = Math.floor(Math.random() * 200);
  let count = 0;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, lane, seq] = line.split(' ');
    if (kind === 'set') {
      acked.lastSet.set(Number(lane), Math.max(acked.lastSet.get(Number(lane)) ?? -1, Number(seq)));
      acked.sets.add(`${lane} ${seq}`);
    } else if (kind === 'del') acked.deletes.add(`${lane} ${seq}`);
    if (kind !== 'ready' && ++count === ackTarget + extra) {
      child.kill('SIGKILL');
      break;
    }
  }
  await exited;
  expect(count).toBe(ackTarget + extra); // the writer did not die on its own
  return acked;
}

it('a SIGKILL mid-writes loses nothing acknowledged and leaves no torn record', async () => {
  const file = path.join(dir, 'crash.kvlog');
  for (let round = 0; round < ROUNDS; round++) {
    const acked = await writeAndKill(file, 1_500);
    const store = await LogStore.open(file, { compactMinBytes: 64 * 1024, lockStaleMs: 2_000 });
    try {
      // Whole records only: what recovery kept is the whole file, and every record reads back with a good CRC.
      expect((await stat(file)).size).toBe(store.stats().file);
      const entries = new Map<string, string>();
      for await (const [key, value] of store.iterator()) entries.set(key, value);
      for (const [lane, seq] of acked.lastSet) {
        const stored = JSON.parse(entries.get(`lane-${lane}`) ?? '{"seq":-1}') as { seq: number };
        expect(stored.seq).toBeGreaterThanOrEqual(seq);
      }
      for (const key of acked.sets) {
        const [lane, seq] = key.split(' ').map(Number) as [number, number];
        expect(entries.get(`keep-${lane}-${seq}`), `keep-${lane}-${seq} was acknowledged`).toBe(String(seq));
        // A once- key may be gone without its delete's line having reached us (the writer was killed first); one whose delete was acknowledged must be.
        if (acked.deletes.has(key)) expect(entries.has(`once-${lane}-${seq}`), `once-${lane}-${seq} was deleted`).toBe(false);
      }
      // The writer compacted while it ran: the file is smaller than what it acknowledged writing.
      expect(store.stats().file).toBeLessThan(MIN_RECORD_BYTES * acked.sets.size);
    } finally {
      await store.disconnect();
    }
  }
});
