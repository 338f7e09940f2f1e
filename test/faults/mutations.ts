// `npm run mutations`: remove each fsync of the write path, and the drift
// fix, one at a time, and check that the tests meant to guard them fail. A guarantee no test can
// break is a guarantee nobody checks: with every `sync()` of the write path
// removed, a read-back still passes from the page cache, so only the order
// checks read from strace logs (write-order, delivery-order) can tell.
//
// Works on a copy of the project in a temp folder (node_modules linked), so
// the checkout is never touched; about a minute a mutation on 2 cores.
//
//   npm run mutations [-- --only durable.ts,cas-write.ts,drift.ts]
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Mutation {
  /** Source file, relative to the project root. */
  file: string;
  /** The exact statement removed (or several, removed together); `nth` picks one of several equal ones (0-based). */
  text: string | string[];
  nth?: number;
  /** What that statement guarantees. */
  guards: string;
  /** The tests that must fail without it (default: the durable-order tests). */
  tests?: string[];
}

// Every fsync on the way from a tool call's bytes to its acknowledgement: the
// hub's mirror writes, edits, removals and moves, a push's staged data and its
// commit into the mirror, and a node's delivery.
export const MUTATIONS: Mutation[] = [
  { file: 'src/mesh/fs/durable.ts', text: 'await handle.sync();', nth: 0, guards: 'fsyncDir: a folder after an entry changed in it' },
  { file: 'src/mesh/fs/durable.ts', text: 'await handle.sync();', nth: 2, guards: 'writeFileDurable: the temp file before its rename' },
  { file: 'src/mesh/fs/safe-write.ts', text: 'await handle.sync();', nth: 0, guards: 'writeFileInside: the temp file before its rename' },
  { file: 'src/mesh/fs/safe-write.ts', text: 'await handle.sync();', nth: 1, guards: "linkIntoPlace: a push's staged data linked into the mirror" },
  { file: 'src/mesh/fs/safe-write.ts', text: 'await dir.sync();', nth: 0, guards: 'commitAt: the folder after the rename (writes, edits, deliveries)' },
  { file: 'src/mesh/fs/safe-open.ts', text: 'if (made) await this.sync();', guards: 'a new folder: its parent, before anything in it is acknowledged' },
  { file: 'src/mesh/fs/cas-write.ts', text: 'await handle.sync();', guards: "edit: the temp file before the compare-and-swap's rename" },
  { file: 'src/mesh/fs/remove-move.ts', text: 'await dir.sync();', nth: 0, guards: 'rm of a file: its folder after the unlink' },
  { file: 'src/mesh/fs/remove-move.ts', text: 'await dir.sync();', nth: 1, guards: 'rm of a folder: its parent after renaming it aside' },
  { file: 'src/mesh/fs/remove-move.ts', text: 'await toDir!.sync();', guards: "mv: the destination's folder" },
  { file: 'src/mesh/fs/remove-move.ts', text: 'await fromDir!.sync();', guards: "mv: the source's folder" },
  { file: 'src/mesh/node/deliverer.ts', text: 'await handle.sync();', nth: 0, guards: "a node's part file before its rename into the session" },
  // The drift fix: what the mesh had in flight to a node when its report arrived is not drift.
  {
    file: 'src/mesh/hub/drift.ts',
    text: ['at.pendingAtReceipt.has(rel) ||', 'this.deps.transfers.touchedSince(node, session, rel, at.receivedAt) ||'],
    guards: 'drift: deliveries pending or settled since a report arrived are not taken for drift',
    tests: ['test/mesh/hub/write-drift-race.test.ts'],
  },
];

/** The tests that must fail when a write-path fsync is removed. */
const ORDER_TESTS = ['test/mesh/fs/write-order.test.ts', 'test/mesh/node/delivery-order.test.ts'];

/** `source` with the `nth` occurrence of `text` replaced by a marker; throws when there is no such occurrence. */
export function removeStatement(source: string, text: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = source.indexOf(text, at + 1);
    if (at < 0) throw new Error(`occurrence ${nth} of ${JSON.stringify(text)} not found`);
  }
  return source.slice(0, at) + '/* removed by npm run mutations */' + source.slice(at + text.length);
}

function run(cwd: string, cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Build the copy and run `tests`: true when they all pass. */
function testsPass(copy: string, tests: string[]): boolean {
  const build = run(copy, 'npx', ['tsc', '-p', 'tsconfig.json']);
  if (!build.ok) throw new Error(`build failed:\n${build.out.slice(-2000)}`);
  return run(copy, 'npx', ['vitest', 'run', ...tests]).ok;
}

/** `source` with every statement of `m` removed. */
export function applyMutation(source: string, m: Mutation): string {
  return (Array.isArray(m.text) ? m.text : [m.text]).reduce((out, text) => removeStatement(out, text, m.nth), source);
}

const label = (m: Mutation) => (Array.isArray(m.text) ? m.text.join(' + ') : m.text);
const cell = (text: string) => text.replaceAll('|', '\\|');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const only = values.only?.split(',').map((s) => s.trim());
  const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const copy = mkdtempSync(path.join(tmpdir(), 'mesh-mutations-'));
  const say = (line: string) => process.stdout.write(line + '\n');
  try {
    for (const entry of ['src', 'test', 'proto', 'package.json', 'tsconfig.json', 'vitest.config.ts']) cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    const selected = MUTATIONS.filter((x) => !only || only.some((o) => x.file.endsWith(o)));
    const allTests = [...new Set(selected.flatMap((m) => m.tests ?? ORDER_TESTS))];
    if (!testsPass(copy, allTests)) throw new Error(`the guard tests fail with nothing removed: ${allTests.join(', ')}`);
    say(`baseline: ${allTests.join(', ')} pass`);
    const rows: Array<{ m: Mutation; caught: boolean }> = [];
    for (const m of selected) {
      const file = path.join(copy, m.file);
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, applyMutation(original, m));
      try {
        const caught = !testsPass(copy, m.tests ?? ORDER_TESTS);
        rows.push({ m, caught });
        say(`${caught ? 'caught  ' : 'SURVIVED'} ${m.file} ${label(m)}${m.nth ? ` #${m.nth}` : ''}: ${m.guards}`);
      } finally {
        writeFileSync(file, original);
      }
    }
    const survived = rows.filter((r) => !r.caught).length;
    say('');
    say('| removed | guards | caught |');
    say('| --- | --- | --- |');
    for (const { m, caught } of rows) say(`| \`${path.basename(m.file)}\`: \`${cell(label(m))}\`${m.nth ? ` (#${m.nth + 1})` : ''} | ${m.guards} | ${caught ? 'yes' : '**no**'} |`);
    say('');
    say(`mutations: ${rows.length} removed, ${rows.length - survived} caught, ${survived} survived`);
    process.exitCode = survived > 0 ? 1 : 0;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
