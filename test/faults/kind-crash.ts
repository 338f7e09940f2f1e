// Fault kind "crash": SIGKILL the hub at seeded random moments while waves of
// writes and small pushes are in flight, restart it on the same data folder,
// and check the set: every acknowledged op is on the mirror and on every node
// that was a member when it was acknowledged, whole; nothing lands on a
// non-member; no temp or part file is left once deliveries are done.
import { randomBytes } from 'node:crypto';
import { contentHashOf } from '../../src/mesh/fs/content-hash.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../support/processes.js';
import { startMesh, type Mesh } from '../mesh/transfer/helpers.js';
import { checkPlace, rng, strays, type FaultResult, type Op, type Violation } from './model.js';
import { observeFiles, tempFiles, tempTarget } from './observe.js';

export interface CrashOptions {
  seed: number;
  waves: number;
  nodes: number;
  log: (line: string) => void;
}

const SESSIONS = ['s0', 's1'];
/** The mesh's file hash (content hash) of what a file should hold. */
const sha = (data: Buffer | string): string => contentHashOf(data);

/** Node i belongs to s(i mod 2); node 0 to both, so one node carries two sessions through every crash. */
function sessionsOf(i: number): string[] {
  return i === 0 ? [...SESSIONS] : [SESSIONS[i % 2]!];
}

async function killHub(mesh: Mesh): Promise<void> {
  const child = mesh.hub.child;
  const stdoutClosed = new Promise<void>((resolve) => {
    if (!child.stdout || child.stdout.closed) resolve();
    else child.stdout.once('close', () => resolve());
  });
  await mesh.hub.kill('SIGKILL');
  // Answers already written to the pipe still count as acknowledged: read them all.
  await Promise.race([stdoutClosed, new Promise((r) => setTimeout(r, 2_000).unref())]);
}

export async function runCrash(options: CrashOptions): Promise<FaultResult[]> {
  const r = rng(options.seed ^ 0x5eed1);
  const mesh = await startMesh();
  const ops: Op[] = [];
  const members = (session: string) => [...Array(options.nodes).keys()].filter((i) => sessionsOf(i).includes(session)).map((i) => `n${i}`);
  const faults: string[] = [];
  try {
    await Promise.all([...Array(options.nodes).keys()].map((i) => mesh.startNode({ id: `n${i}`, sessions: sessionsOf(i) })));
    let seq = 0;
    for (let w = 0; w < options.waves; w++) {
      const fault = `crash wave ${w}`;
      faults.push(fault);
      const used = new Set<string>();
      const count = r.int(3, 6);
      for (let j = 0; j < count; j++) {
        const session = r.pick(SESSIONS);
        let rel = r.next() < 0.4 ? `shared/f${r.int(0, 3)}.txt` : `w${w}/f${j}.txt`;
        if (used.has(`${session}/${rel}`)) rel = `w${w}/f${j}.txt`;
        used.add(`${session}/${rel}`);
        const op: Op = { fault, session, path: rel, sha256: '', seq: seq++, acked: false, members: [] };
        let sent: Promise<unknown>;
        if (r.next() < 0.2) {
          // A small push of a few chunks' worth of random bytes from the source root.
          const data = randomBytes(r.int(64, 1536) * 1024);
          const source = `src-w${w}-${j}.bin`;
          await writeFile(path.join(mesh.sourceDir, source), data);
          op.path = `pushed/w${w}-${j}.bin`;
          op.sha256 = sha(data);
          sent = mesh.hub.send({ op: 'push', session, source, dest: op.path });
        } else {
          const content = `wave ${w} op ${j} seed ${options.seed}\n`.repeat(r.int(1, 3000));
          op.sha256 = sha(content);
          sent = mesh.hub.send({ op: 'write', session, path: rel, content });
        }
        ops.push(op);
        sent.then(
          () => {
            op.acked = true;
            op.members = members(session);
          },
          () => {},
        );
      }
      const killAfter = r.int(0, 600);
      await new Promise((resolve) => setTimeout(resolve, killAfter)); // the seeded crash point
      await killHub(mesh);
      options.log(`  wave ${w}: ${count} ops, hub SIGKILLed after ${killAfter} ms, ${ops.filter((o) => o.fault === fault && o.acked).length} acknowledged`);
      await mesh.startHub();
    }
    return await judge(mesh, ops, faults, options);
  } finally {
    await mesh.close();
  }
}

/**
 * For each temp file left behind: the transfers the hub still ran at the
 * end, and its last log lines that name the file the temp file was for.
 */
async function tempClues(mesh: Mesh, temps: string[]): Promise<string[]> {
  const status = await mesh.hub.call({ op: 'status' }, 10_000).catch(() => undefined);
  const running = (status?.transfers ?? []) as Array<{ path: string; nodes: Array<{ node: string; state: string }> }>;
  const clues = [`  transfers still running at the end: ${running.length === 0 ? 'none' : running.map((t) => `${t.path} [${t.nodes.map((n) => `${n.node}=${n.state}`).join(' ')}]`).join('; ')}`];
  for (const where of temps) {
    const name = tempTarget(path.basename(where));
    const mentions = mesh.hub.lines.filter((l) => l.includes(name)).slice(-6);
    clues.push(...(mentions.length ? mentions.map((l) => `  hub log: ${l.slice(0, 300)}`) : [`  hub log: nothing names ${name} since the last start`]));
  }
  return clues;
}

/** Wait (bounded) for the mesh to settle, then charge every violation to the fault it happened under. */
async function judge(mesh: Mesh, ops: Op[], faults: string[], options: CrashOptions): Promise<FaultResult[]> {
  const check = async (): Promise<Violation[]> => {
    const found: Violation[] = [];
    for (const session of SESSIONS) {
      const mine = ops.filter((op) => op.session === session);
      found.push(...checkPlace(`mirror/${session}`, mine, await observeFiles(path.join(mesh.dataDir, 'sessions', session)), () => true));
      for (let i = 0; i < options.nodes; i++) {
        const id = `n${i}`;
        const copy = await observeFiles(path.join(mesh.workspace(id), 'sessions', session));
        if (sessionsOf(i).includes(session)) found.push(...checkPlace(`${id}/${session}`, mine, copy, (op) => op.members.includes(id)));
        else found.push(...strays(`${id}/${session} (not a member)`, [], copy));
      }
    }
    const temps = [...(await tempFiles(path.join(mesh.dataDir, 'sessions'))).map((t) => `hub/${t}`)];
    for (let i = 0; i < options.nodes; i++) temps.push(...(await tempFiles(mesh.workspace(`n${i}`))).map((t) => `n${i}/${t}`));
    for (const t of temps) found.push({ fault: 'temp', where: t, what: 'temp or part file left after every transfer finished' });
    return found;
  };
  let violations: Violation[] = [];
  // Deliveries resume after the last restart; give them a bounded while to finish.
  await eventually(async () => {
    const status = await mesh.hub.call({ op: 'status' }, 10_000);
    violations = await check();
    return status.transfers.length === 0 && violations.length === 0;
  }, 60_000, 500).catch(() => {});
  violations = await check();
  const untouched = new Set(faults);
  const results: FaultResult[] = faults.map((fault) => {
    const mine = violations.filter((v) => v.fault === fault);
    untouched.delete(fault);
    return { kind: 'crash', name: fault, survived: mine.length === 0, detail: mine.map((v) => `${v.where}: ${v.what}`) };
  });
  // Violations not tied to one wave (temp files, strays) fail the last wave's row, so they are never hidden.
  const loose = violations.filter((v) => !faults.includes(v.fault));
  if (loose.length > 0 && results.length > 0) {
    const last = results[results.length - 1]!;
    last.survived = false;
    last.detail.push(...loose.map((v) => `${v.where}: ${v.what} (not tied to one wave; charged to the last)`));
    // A temp file seen once in a loaded CI run and never replayed: say what the hub was doing about it.
    const temps = loose.filter((l) => l.fault === 'temp').map((l) => l.where);
    if (temps.length > 0) last.detail.push(...(await tempClues(mesh, temps)));
  }
  const acked = ops.filter((o) => o.acked).length;
  options.log(`  crash: ${ops.length} ops, ${acked} acknowledged, ${violations.length} violations`);
  return results;
}
