// The durable-write order seen from outside the process: strace records the
// system calls of a real write, and fsync(temp) < rename < fsync(folder) <
// "done" must hold for each kind of write. Unlike a read-back (which passes
// from the page cache with every fsync removed), this fails when any sync()
// of the write path is dropped.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../../support/processes.js';
import { checkArrivedOrder, checkAsideOrder, checkDurableOrder, checkGoneOrder, findMarker, parseTrace, straceArgs, straceAvailable, type Syscall } from '../../support/syscall-trace.js';

const SCRIPT = fileURLToPath(new URL('./write-order-script.ts', import.meta.url));
const haveStrace = straceAvailable();
if (!haveStrace) {
  const notice = '\n!!! strace is missing: the durable-write order test is SKIPPED (apt-get install strace) !!!\n';
  if (process.env.CI === 'true') throw new Error(`${notice}CI=true: strace is required here.`);
  console.warn(notice);
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let calls: Syscall[] = [];

beforeAll(async () => {
  if (!haveStrace) return;
  tmp = await tempDir('mesh-write-order-');
  const traceFile = path.join(tmp.dir, 'trace');
  const base = path.join(tmp.dir, 'work');
  const child = spawn('strace', [...straceArgs(traceFile), process.execPath, '--import', 'tsx', SCRIPT, base], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`traced script failed (${code}):\n${stderr}`);
  calls = parseTrace(await readFile(traceFile, 'utf8'));
}, 30_000);

afterAll(async () => tmp?.cleanup());

const cases: Array<[string, string, string]> = [
  ['writeFileDurable (library, staging)', 'durable/a/b/file.txt', 'ACK durable'],
  ['writeFileInside (session copy, hub mirror)', 'session/a/b/file.txt', 'ACK inside'],
  ['writeFileInside over an existing file', 'session/a/b/file.txt', 'ACK overwrite'],
  ['linkIntoPlace (a push\'s staged data into the mirror)', 'session/c/d/pushed.bin', 'ACK link'],
  ['writeFileIfUnchanged (edit\'s compare-and-swap)', 'session/a/b/file.txt', 'ACK edit'],
];

it.skipIf(!haveStrace).each(cases)('%s: fsync(temp) < rename < fsync(folder) < acknowledgement', (_kind, rel, marker) => {
  const ack = findMarker(calls, marker);
  expect(ack, `marker ${marker} in the trace`).toBeDefined();
  const target = path.join(tmp.dir, 'work', rel);
  expect(checkDurableOrder(calls, target, ack)).toEqual([]);
});

const work = (rel: string) => path.join(tmp.dir, 'work', rel);

it.skipIf(!haveStrace)('rm of a file: unlink < fsync(folder) < acknowledgement', () => {
  expect(checkGoneOrder(calls, work('session/gone/file.txt'), findMarker(calls, 'ACK rm file'))).toEqual([]);
});

it.skipIf(!haveStrace)('rm of a folder: rename aside < fsync(parent) < emptying it, and < acknowledgement', () => {
  expect(checkAsideOrder(calls, work('session/tree'), findMarker(calls, 'ACK rm folder'))).toEqual([]);
});

it.skipIf(!haveStrace)('mv: rename < fsync(both folders), new folders\' parents fsynced < acknowledgement', () => {
  const ack = findMarker(calls, 'ACK mv');
  expect([...checkGoneOrder(calls, work('session/from/m.txt'), ack), ...checkArrivedOrder(calls, work('session/to/deep/m.txt'), ack)]).toEqual([]);
});
