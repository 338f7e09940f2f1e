// Attack: swap a folder for a symlink to outside between the check and the
// use. A separate process flips `d` in the node's session copy and in the hub
// mirror between the real folder and a link to an outside folder that holds
// canary files of the same names, as fast as it can. Meanwhile fast-check
// drives cat and ls (mirror and node), write (mirror and node) and pushes
// resumed after a dropped link, all under `d`, for at least 20 s. No read may
// return canary bytes or names, nothing may change in the outside folders,
// and every call succeeds on the real folder or fails with a clear code.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, lstat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentHashOf } from '../../src/mesh/fs/content-hash.js';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { makeTestFile } from '../../bench/lib/data.js';
import { eventually, killAll } from '../support/processes.js';
import { MiB, sha256File, startMesh, waitForFile, type Mesh } from '../mesh/transfer/helpers.js';

afterAll(killAll);

const RUN_MS = 20_000;
const FLIPPER = fileURLToPath(new URL('../support/folder-flipper.ts', import.meta.url));
const MARK = `CANARY-${randomBytes(6).toString('hex')}`;
/** Codes a call may fail with while the folder flips; INTERNAL (or no code) is never clear. */
const CLEAR_CODES = new Set(['PATH_OUTSIDE_SESSION', 'NOT_FOUND', 'NOT_A_DIRECTORY', 'NOT_A_FILE', 'PATH_SPECIAL_FILE', 'NODE_OFFLINE', 'NODE_TIMEOUT', 'TRANSFER_FAILED', 'CHECKSUM_MISMATCH']);
const FILES = ['d/file.txt', 'd/sub/deep.txt', 'd/w-0.txt', 'd/w-1.txt', 'd/sub/w-2.txt'];
const PUSHES = ['d/big-0.bin', 'd/sub/big-1.bin'];

type Where = 'hub' | 'n1';
type Op =
  | { kind: 'cat'; where: Where; file: string }
  | { kind: 'ls'; where: Where; dir: string }
  | { kind: 'write'; file: string }
  | { kind: 'push'; dest: string };

const whereArb = fc.constantFrom<Where>('hub', 'n1');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('cat' as const), where: whereArb, file: fc.constantFrom(...FILES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ls' as const), where: whereArb, dir: fc.constantFrom('d', 'd/sub') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('write' as const), file: fc.constantFrom(...FILES.slice(2)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('push' as const), dest: fc.constantFrom(...PUSHES) }) },
);

interface Tally {
  reads: number;
  readsRefused: number;
  leakedReads: string[];
  writes: number;
  pushes: number;
  unclear: string[];
  outsideChanges: string[];
  cuts: number;
}

/** Every file under `dir` (links not followed) with its SHA-256, as "rel sha" lines. */
async function snapshot(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const abs = path.join(dir, name);
    const info = await lstat(abs);
    if (info.isDirectory()) out.push(`${prefix}${name}/`, ...(await snapshot(abs, `${prefix}${name}/`)));
    else out.push(`${prefix}${name} ${info.isFile() ? createHash('sha256').update(await readFile(abs)).digest('hex') : 'special'}`);
  }
  return out;
}

async function plantOutside(dir: string): Promise<void> {
  for (const rel of [...FILES, ...PUSHES, `${MARK}.txt`, `sub/${MARK}.txt`]) {
    const file = path.join(dir, rel.replace(/^d\//, ''));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${MARK} outside ${rel}\n`);
  }
}

function codeOf(err: unknown): string {
  return (err as { code?: string } | null)?.code ?? `no code: ${String((err as Error)?.message ?? err)}`;
}

it('a folder flipped to a link to outside never leaks a byte, in or out', async () => {
  const mesh: Mesh = await startMesh();
  const tally: Tally = { reads: 0, readsRefused: 0, leakedReads: [], writes: 0, pushes: 0, unclear: [], outsideChanges: [], cuts: 0 };
  const seed = Number(process.env.MESH_RACE_SEED) || Math.floor(Math.random() * 2 ** 31);
  let flipper: ChildProcess | undefined;
  try {
    await mesh.startNode({ id: 'n1', sessions: ['s'], rate: 6 * MiB });
    const hub = mesh.hub;
    for (const file of FILES.slice(0, 2)) await hub.call({ op: 'write', session: 's', path: file, content: `inside ${file}` });
    await waitForFile(mesh.nodeFile('n1', 's', 'd/sub/deep.txt'), contentHashOf('inside d/sub/deep.txt'));
    const big = await readFile((await makeTestFile(path.join(mesh.sourceDir, 'base.bin'), 9 * MiB, 5)).path);

    const outside = { hub: path.join(mesh.root, 'outside-hub'), node: path.join(mesh.root, 'outside-node') };
    await plantOutside(outside.hub);
    await plantOutside(outside.node);
    const before = { hub: await snapshot(outside.hub), node: await snapshot(outside.node) };
    const checkOutside = async (when: string) => {
      for (const side of ['hub', 'node'] as const) {
        const now = await snapshot(outside[side]);
        if (now.join('\n') !== before[side].join('\n')) {
          tally.outsideChanges.push(`${when}: outside-${side} now ${now.filter((l) => !before[side].includes(l)).join(', ')}`);
          before[side] = now; // report each change once
        }
      }
    };

    flipper = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        FLIPPER,
        JSON.stringify({
          targets: [
            { dir: path.join(mesh.dataDir, 'sessions', 's', 'd'), outside: outside.hub },
            { dir: mesh.nodeFile('n1', 's', 'd'), outside: outside.node },
          ],
          untilMs: Date.now() + RUN_MS + 30_000,
          maxFlips: 10_000_000,
        }),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const flipping = flipper;
    let flipperOut = '';
    flipping.stdout!.setEncoding('utf8').on('data', (t: string) => (flipperOut += t));
    const flipperDone = new Promise<void>((resolve) => flipping.once('exit', () => resolve()));

    let seq = 0;
    const pushOutcomes: string[] = [];
    const inFlight: { write?: Promise<void>; push?: Promise<void> } = {};
    const readResult = (label: string, data: string | undefined, names: string[] = []) => {
      if ((data ?? '').includes(MARK) || names.some((n) => n.includes(MARK))) tally.leakedReads.push(label);
      else if (data !== undefined && !data.startsWith('inside')) tally.unclear.push(`${label}: unexpected content ${JSON.stringify(data.slice(0, 40))}`);
    };
    const refused = (label: string, err: unknown) => {
      const code = codeOf(err);
      if (!CLEAR_CODES.has(code)) tally.unclear.push(`${label}: ${code} ${String((err as { message?: string })?.message ?? '')}`);
    };

    const run = async (op: Op): Promise<void> => {
      const node = op.kind === 'cat' || op.kind === 'ls' ? (op.where === 'hub' ? undefined : op.where) : undefined;
      if (op.kind === 'cat') {
        tally.reads++;
        try {
          const [answer] = await hub.call({ op: 'cat', session: 's', path: op.file, node });
          readResult(`cat ${op.where} ${op.file}`, answer.value.data);
        } catch (err) {
          tally.readsRefused++;
          refused(`cat ${op.where} ${op.file}`, err);
        }
      } else if (op.kind === 'ls') {
        tally.reads++;
        try {
          const [answer] = await hub.call({ op: 'ls', session: 's', path: op.dir, node });
          readResult(`ls ${op.where} ${op.dir}`, undefined, answer.value.entries.map((e: { name: string }) => e.name));
        } catch (err) {
          tally.readsRefused++;
          refused(`ls ${op.where} ${op.dir}`, err);
        }
      } else if (op.kind === 'write') {
        // Writes and pushes wait for the node's outcome; they run beside the
        // reads (one of each at a time) so the reads keep hammering the race.
        if (inFlight.write) return;
        tally.writes++;
        inFlight.write = hub
          .call({ op: 'write', session: 's', path: op.file, content: `inside ${op.file} ${seq++}` })
          .then(
            (result) => {
              for (const o of result.outcomes) if (o.status === 'failed') refused(`write ${op.file} on ${o.node}`, o.error);
            },
            (err) => refused(`write ${op.file}`, err),
          )
          .finally(() => (inFlight.write = undefined));
      } else {
        if (inFlight.push) return;
        tally.pushes++;
        inFlight.push = resumedPush(op.dest).finally(() => (inFlight.push = undefined));
      }
    };

    /** A push that a dropped link interrupts once under way, so the node resumes it from its part file. */
    const resumedPush = async (dest: string): Promise<void> => {
      // New content each time, so the node has something to fetch (not "already delivered").
      const source = `big-${seq++}.bin`;
      big.write(`${source} `.padEnd(32), 0);
      await writeFile(path.join(mesh.sourceDir, source), big);
      const push = hub.call({ op: 'push', session: 's', source, dest }, 60_000);
      let settled = false;
      push.then(() => (settled = true), () => (settled = true));
      // Cut the link once the node has verified a chunk, while it fetches the rest.
      const fetching = await eventually(async () => {
        if (settled) return 'settled';
        const status = await hub.call({ op: 'status' });
        return (status.transfers as Array<any>).some((t) => t.path === dest && t.nodes.some((n: any) => n.bytes > 0 && n.state === 'pending')) && 'fetching';
      }, 10_000, 20).catch(() => 'not yet');
      if (fetching === 'fetching') {
        mesh.proxies.get('n1')!.cutConnections();
        tally.cuts++;
      }
      try {
        const result = await push;
        pushOutcomes.push(result.outcomes.map((o: any) => o.status + (o.error ? ':' + o.error.code : '')).join(','));
        for (const o of result.outcomes) if (o.status === 'failed') refused(`push ${dest} on ${o.node}`, o.error);
      } catch (err) {
        pushOutcomes.push(codeOf(err));
        refused(`push ${dest}`, err);
      }
    };

    const started = Date.now();
    let failure: unknown;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
          for (const op of ops) await run(op);
          await checkOutside(`after ${ops.length} ops`);
        }),
        { seed, numRuns: 100_000, interruptAfterTimeLimit: RUN_MS, markInterruptAsFailure: false, endOnFailure: true },
      );
    } catch (err) {
      failure = err;
    }
    const ranMs = Date.now() - started;
    await Promise.race([Promise.all([inFlight.write, inFlight.push]), new Promise((r) => setTimeout(r, 30_000))]);
    flipping.stdin!.end();
    await flipperDone;
    await checkOutside('at the end');
    const flips = JSON.parse(flipperOut.trim() || '{}') as { flips?: number };
    const nodeProc = mesh.nodes.get('n1')!;
    const resumes = nodeProc.count(/"msg":"(resuming delivery|fetch interrupted)/);
    const summary =
      `seed ${seed}: ${ranMs} ms, ${flips.flips} flips; reads ${tally.reads} (refused ${tally.readsRefused}, leaked ${tally.leakedReads.length}); ` +
      `writes ${tally.writes}; pushes ${tally.pushes} (${tally.cuts} cut, node resumed ${resumes} times: ${pushOutcomes.join(' ')}); outside changes ${tally.outsideChanges.length}; unclear ${tally.unclear.length}`;
    console.log(`path-swap race: ${summary}`);
    if (failure) throw new Error(`${summary}\n${String(failure)}`);
    expect(mesh.hub.child.exitCode, `the hub died; ${summary}`).toBeNull();
    expect(nodeProc.child.exitCode, `the node died; ${summary}`).toBeNull();
    expect(tally.leakedReads, summary).toEqual([]);
    expect(tally.outsideChanges, summary).toEqual([]);
    expect(tally.unclear, summary).toEqual([]);
    // The race must really have run: enough time, flips and refused reads.
    expect(ranMs).toBeGreaterThanOrEqual(RUN_MS);
    expect(flips.flips ?? 0).toBeGreaterThan(100);
    expect(tally.readsRefused).toBeGreaterThan(0);
    expect(tally.reads - tally.readsRefused).toBeGreaterThan(0);
    expect(resumes, 'a push under the flipping folder was resumed').toBeGreaterThan(0);
    // The session is still usable once the flipping stopped.
    await hub.call({ op: 'write', session: 's', path: 'd/after.txt', content: 'inside after' });
    expect(await sha256File(path.join(mesh.dataDir, 'sessions', 's', 'd', 'after.txt'))).toBe(contentHashOf('inside after'));
  } finally {
    if (flipper && flipper.exitCode === null) flipper.kill('SIGKILL');
    await mesh.close();
  }
}, 150_000);
