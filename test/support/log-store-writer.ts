// A child process that writes to a log store until it is killed, for the
// crash test: 8 lanes, each sets its own key to an increasing sequence, sets
// two fresh keys per step (keep-, never deleted; once-, deleted 5 steps
// later). A line on stdout follows every acknowledged operation:
//   set <lane> <seq>   (lane key = seq, keep-<lane>-<seq> and once-<lane>-<seq> acknowledged)
//   del <lane> <seq>   (delete of once-<lane>-<seq> acknowledged)
//   node --import tsx test/support/log-store-writer.ts <file>
import { LogStore } from '../../src/mesh/store/log-store.js';

const LANES = 8;
const file = process.argv[2]!;
// Small: compactions happen often, so a kill lands in one now and then. Same staleness as the test's reopen.
const store = await LogStore.open(file, { compactMinBytes: 64 * 1024, lockStaleMs: 2_000 });
const pad = 'p'.repeat(200);
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: LANES }, async (_, lane) => {
    for (let seq = 0; ; seq++) {
      await store.set(`lane-${lane}`, JSON.stringify({ seq, pad }));
      await store.set(`keep-${lane}-${seq}`, String(seq));
      await store.set(`once-${lane}-${seq}`, String(seq));
      process.stdout.write(`set ${lane} ${seq}\n`);
      if (seq >= 5) {
        await store.delete(`once-${lane}-${seq - 5}`);
        process.stdout.write(`del ${lane} ${seq - 5}\n`);
      }
    }
  }),
);
