// `npm run faults`: inject faults into a real hub and real node processes on
// this machine (loopback only), check the outcome against the model, print a
// table of kinds and one last line `faults: N injected, N survived, N lost`.
// Exit 1 when anything was lost or an invariant broke.
//
//   npm run faults [-- --quick] [-- --seed S] [-- --only crash,disk,node,hub-stop,store,process,network,abuse]
import { parseArgs } from 'node:util';
import { killAll } from '../support/processes.js';
import { straceAvailable } from '../support/syscall-trace.js';
import { runCrash } from './kind-crash.js';
import { runDisk } from './kind-disk.js';
import { runHubStop } from './kind-hub-stop.js';
import { runNodeProcess } from './kind-node.js';
import { runStore } from './kind-store.js';
import { runAbuse } from './kind-abuse.js';
import { runProcess } from './kind-process.js';
import { runNetwork } from './kind-network.js';
import { summarize, type FaultResult } from './model.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string' },
    only: { type: 'string' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() ^ (process.pid << 8)) >>> 0;
const quick = values.quick!;
const only = new Set((values.only ?? 'crash,disk,node,hub-stop,store,process,network,abuse').split(',').map((s) => s.trim()));
// The suite's own narration goes to stdout; the processes under test log to their own stderr.
const log = (line: string) => process.stdout.write(line + '\n');

log(`faults: seed ${seed} (${quick ? 'quick' : 'full'}); replay with: npm run faults -- ${quick ? '--quick ' : ''}--seed ${seed}`);
const started = Date.now();
const results: FaultResult[] = [];

async function kind(name: string, run: () => Promise<FaultResult[]>): Promise<void> {
  if (!only.has(name)) return;
  const t0 = Date.now();
  log(`${name}:`);
  try {
    results.push(...(await run()));
  } catch (err) {
    // A kind that could not run to its verdict counts as a loss: silence is not survival.
    results.push({ kind: name, name: `${name} (aborted)`, survived: false, detail: [String((err as Error).stack ?? err)] });
  } finally {
    await killAll();
  }
  log(`  ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await kind('crash', () => runCrash({ seed, waves: quick ? 5 : 20, nodes: quick ? 4 : 8, log }));
if (straceAvailable()) {
  await kind('disk', () => runDisk({ seed, quick, log }));
} else if (only.has('disk')) {
  const missing = 'strace is missing (apt-get install strace): disk faults cannot be injected';
  if (process.env.CI === 'true') results.push({ kind: 'disk', name: 'disk (strace missing)', survived: false, detail: [missing] });
  else log(`!!! ${missing}; SKIPPED !!!`);
}
await kind('node', () => runNodeProcess({ seed, quick, log }));
await kind('hub-stop', () => runHubStop({ seed, quick, log }));
await kind('store', () => runStore({ seed, quick, log }));
await kind('process', () => runProcess({ seed, quick, log }));
await kind('network', () => runNetwork({ seed, quick, log }));
await kind('abuse', () => runAbuse({ log }));

for (const r of results.filter((x) => !x.survived)) {
  log(`LOST ${r.kind} / ${r.name}`);
  for (const d of r.detail.slice(0, 20)) log(`    ${d}`);
}
const sum = summarize(results);
log('');
log('| kind | injected | survived | lost |');
log('| --- | ---: | ---: | ---: |');
for (const row of sum.rows) log(`| ${row.kind} | ${row.injected} | ${row.survived} | ${row.lost} |`);
log('');
log(`seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
log(`faults: ${sum.injected} injected, ${sum.survived} survived, ${sum.lost} lost`);
process.exit(sum.lost > 0 || sum.injected === 0 ? 1 : 0);
