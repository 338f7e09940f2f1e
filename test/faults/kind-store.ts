// Fault kind "store": the hub runs on PostgreSQL (a private cluster, see
// test/support/pg-cluster.ts) and the server is stopped (`pg_ctl stop -m
// fast` or `-m immediate`, a crash) in the middle of a stream of writes, then
// started again after a seeded while. Checks, per fault:
// - while it is down, calls that need the store fail with STORE_UNAVAILABLE
//   (never INTERNAL, never a hang), and a node attaching then is not
//   acknowledged (no welcome, not listed as a member);
// - once it is back, the same hub process recovers without a restart: writes
//   and pushes succeed, and the waiting node attaches and is a member;
// at the end, after a hub restart that reloads everything from PostgreSQL:
// every acknowledged join is still a membership, every acknowledged write is
// on the mirror and on the members that confirmed it, and no temp file is left.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually, type Proc } from '../support/processes.js';
import { createPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { startMesh, type Mesh } from '../mesh/transfer/helpers.js';
import { checkPlace, rng, type FaultResult, type Op, type Violation } from './model.js';
import { observeFiles, tempFiles } from './observe.js';
import { contentHashOf } from '../../src/mesh/fs/content-hash.js';

export interface StoreFaultOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

const SESSION = 'st';
const BASE_NODES = ['n0', 'n1'];
/** How long a call may take before it counts as hanging, ms (the write itself waits up to 60 s for members). */
const CALL_BOUND_MS = 70_000;
/** The mesh's file hash (content hash), as the observer reads it back from disk. */
const sha = (data: Buffer | string): string => contentHashOf(data);

interface Round {
  fault: string;
  broken: string[];
}

interface Calls {
  ops: Op[];
  seq: number;
}

/** A hub call that fails at once (HUB_EXITED, with its last log lines) if the hub process dies meanwhile. */
function call(mesh: Mesh, cmd: Record<string, unknown>, timeoutMs = CALL_BOUND_MS): Promise<any> {
  const hub = mesh.hub;
  const died = hub.exited.then(() => {
    throw { code: 'HUB_EXITED', message: `the hub process exited; last lines: ${hub.lines.slice(-3).join(' | ').slice(0, 1500)}` };
  });
  return Promise.race([hub.call(cmd, timeoutMs), died]);
}

/** One write through the hub driver, recorded in the history; resolves with the error code if it failed. */
async function recordedWrite(mesh: Mesh, calls: Calls, fault: string, rel: string, content: string): Promise<{ code?: string; message?: string }> {
  const op: Op = { fault, session: SESSION, path: rel, sha256: sha(content), seq: calls.seq++, acked: false, members: [] };
  calls.ops.push(op);
  try {
    const result = await call(mesh, { op: 'write', session: SESSION, path: rel, content });
    op.acked = true;
    op.members = (result.outcomes as Array<{ node: string; status: string }>).filter((o) => o.status === 'ok').map((o) => o.node);
    return {};
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code ?? 'NO_ANSWER', message: e.message ?? String(err) };
  }
}

async function oneFault(mesh: Mesh, pg: PgCluster, round: number, calls: Calls, r: ReturnType<typeof rng>, log: (l: string) => void): Promise<{ result: FaultResult; joiner?: { node: string; session: string } }> {
  const mode = r.pick(['fast', 'immediate'] as const);
  const downMs = r.int(800, 2500);
  const fault = `store: PostgreSQL stopped (${mode}) for ${downMs} ms mid-writes #${round}`;
  const res: Round = { fault, broken: [] };
  const hubPid = mesh.hub.child.pid;
  let down = false;
  let writing = true;
  const downErrors: string[] = [];
  // A steady stream of writes, one at a time, each to a new path.
  const writer = (async () => {
    for (let j = 0; writing && mesh.hub.child.exitCode === null && j < 10_000; j++) {
      const wasDown = down;
      const t0 = Date.now();
      const { code, message } = await recordedWrite(mesh, calls, fault, `r${round}/w${j}.txt`, `round ${round} write ${j}\n`.repeat(1 + (j % 50)));
      if (code === undefined) continue;
      // An error is only expected while the store is (or was, at the call's start) down, and must say so.
      if (code !== 'STORE_UNAVAILABLE') res.broken.push(`write ${j} failed with ${code} (not STORE_UNAVAILABLE): ${message}`);
      else if (!wasDown && !down) res.broken.push(`write ${j} failed with STORE_UNAVAILABLE while PostgreSQL was up: ${message}`);
      else downErrors.push(code);
      if (Date.now() - t0 > 20_000) res.broken.push(`write ${j} took ${Date.now() - t0} ms to fail`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // pace retries while the store is down
    }
  })();

  let joiner: Proc | undefined;
  const joinerId = `j${round}`;
  try {
    await new Promise((resolve) => setTimeout(resolve, r.int(100, 400))); // the seeded moment, writes in flight
    down = true;
    await pg.stop(mode);
    log(`  ${fault}: PostgreSQL down`);
    // A node attaching now: its hello needs the store, so it must not be welcomed.
    joiner = await startJoiner(mesh, joinerId);
    // A push while down: staged, but refused before any node is told (its transfer cannot be stored).
    const source = `down-${round}.bin`;
    const data = randomBytes(r.int(64, 512) * 1024);
    await writeFile(path.join(mesh.sourceDir, source), data);
    const pushOp: Op = { fault, session: SESSION, path: `r${round}/down-push.bin`, sha256: sha(data), seq: calls.seq++, acked: false, members: [] };
    calls.ops.push(pushOp);
    await call(mesh, { op: 'push', session: SESSION, source, dest: pushOp.path }, CALL_BOUND_MS).then(
      (result) => {
        pushOp.acked = true;
        pushOp.members = (result.outcomes as Array<{ node: string; status: string }>).filter((o) => o.status === 'ok').map((o) => o.node);
      },
      (err: { code?: string; message?: string }) => {
        if (err.code !== 'STORE_UNAVAILABLE') res.broken.push(`push while the store was down failed with ${err.code}: ${err.message}`);
        else downErrors.push(err.code);
      },
    );
    await new Promise((resolve) => setTimeout(resolve, downMs)); // the fault's duration
    if (joiner.lines.some(isAttached)) res.broken.push(`${joinerId} was welcomed while PostgreSQL was down`);
    const during = await call(mesh, { op: 'status' }, 10_000);
    if (isMember(during, `j${round}`, joinerId)) res.broken.push(`${joinerId} listed as a member while PostgreSQL was down`);
    await pg.start();
    down = false;
    log(`  ${fault}: PostgreSQL back`);

    // Recovery, same hub process: a write and a push succeed, the waiting node attaches.
    if (mesh.hub.child.pid !== hubPid || mesh.hub.child.exitCode !== null) res.broken.push('the hub process did not survive the store outage');
    await eventually(async () => (await recordedWrite(mesh, calls, fault, `r${round}/after.txt`, `after round ${round}\n`)).code === undefined, 30_000, 250).catch(() =>
      res.broken.push('no write succeeded within 30 s of PostgreSQL coming back'),
    );
    const after = `after-${round}.bin`;
    const afterData = randomBytes(256 * 1024);
    await writeFile(path.join(mesh.sourceDir, after), afterData);
    const afterOp: Op = { fault, session: SESSION, path: `r${round}/after-push.bin`, sha256: sha(afterData), seq: calls.seq++, acked: false, members: [] };
    calls.ops.push(afterOp);
    await call(mesh, { op: 'push', session: SESSION, source: after, dest: afterOp.path }, CALL_BOUND_MS).then(
      (result) => {
        afterOp.acked = true;
        afterOp.members = (result.outcomes as Array<{ node: string; status: string }>).filter((o) => o.status === 'ok').map((o) => o.node);
        if (afterOp.members.length !== BASE_NODES.length) res.broken.push(`push after recovery reached ${afterOp.members.join(',') || 'no node'}`);
      },
      (err: { code?: string; message?: string }) => res.broken.push(`push after recovery failed with ${err.code}: ${err.message}`),
    );
    await waitAttachedOnce(joiner, 40_000).catch(() => res.broken.push(`${joinerId} did not attach within 40 s of PostgreSQL coming back`));
    await eventually(async () => isMember(await call(mesh, { op: 'status' }, 10_000), `j${round}`, joinerId), 10_000).catch(() =>
      res.broken.push(`${joinerId} attached but is not a member of j${round}`),
    );
  } catch (err) {
    res.broken.push(String((err as Error)?.stack ?? err));
    if (down) await pg.start().catch(() => {});
  } finally {
    writing = false;
    await writer;
    await joiner?.kill('SIGKILL'); // bounded process count; its membership must outlive it
  }
  // The push sent while the server is down always meets the outage; a write may instead ride it out (its
  // delivery outcome is stored, and the write acknowledged, once the server is back).
  if (downErrors.length === 0) res.broken.push('no call met the outage: the fault was not exercised');
  const acked = calls.ops.filter((o) => o.fault === fault && o.acked).length;
  log(`  ${fault}: ${calls.ops.filter((o) => o.fault === fault).length} ops, ${acked} acknowledged, ${downErrors.length} refused with STORE_UNAVAILABLE`);
  const welcomed = joiner?.lines.some(isAttached) ?? false;
  return { result: { kind: 'store', name: fault, survived: res.broken.length === 0, detail: res.broken }, joiner: welcomed ? { node: joinerId, session: `j${round}` } : undefined };
}

const isAttached = (l: string): boolean => l.includes('"msg":"attached"');

function isMember(status: { sessions: Array<{ name: string; members: Array<{ node: string }> }> }, session: string, node: string): boolean {
  return status.sessions.some((s) => s.name === session && s.members.some((m) => m.node === node));
}

function waitAttachedOnce(proc: Proc, timeoutMs: number): Promise<string> {
  return proc.waitFor(isAttached, timeoutMs);
}

async function startJoiner(mesh: Mesh, id: string): Promise<Proc> {
  // startNode waits for the attach; this one must wait for the store, so it is started without waiting.
  const started = mesh.startNode({ id, sessions: [`j${id.slice(1)}`] });
  started.catch(() => {});
  await eventually(() => mesh.nodes.get(id), 5_000, 20);
  return mesh.nodes.get(id)!;
}

export async function runStore(options: StoreFaultOptions): Promise<FaultResult[]> {
  const r = rng(options.seed ^ 0x57043);
  const pg = await createPgCluster();
  let mesh: Mesh | undefined;
  try {
    mesh = await startMesh({ storeUrl: `${pg.url}?table=mesh_faults` });
    await Promise.all(BASE_NODES.map((id) => mesh!.startNode({ id, sessions: [SESSION] })));
    const calls: Calls = { ops: [], seq: 0 };
    const results: FaultResult[] = [];
    const joins: Array<{ node: string; session: string; fault: string }> = [];
    const rounds = options.quick ? 1 : 8;
    for (let i = 0; i < rounds; i++) {
      const { result, joiner } = await oneFault(mesh, pg, i, calls, r, options.log);
      results.push(result);
      if (joiner) joins.push({ ...joiner, fault: result.name });
      options.log(`  ${result.survived ? 'ok  ' : 'LOST'} ${result.name}`);
    }
    await judge(mesh, calls.ops, joins, results, options.log);
    return results;
  } finally {
    await mesh?.close();
    await pg.destroy();
  }
}

/** After a hub restart (everything reloaded from PostgreSQL): acknowledged joins and writes are all there. */
async function judge(mesh: Mesh, ops: Op[], joins: Array<{ node: string; session: string; fault: string }>, results: FaultResult[], log: (l: string) => void): Promise<void> {
  await mesh.hub.kill('SIGKILL');
  await mesh.startHub();
  const violations: Violation[] = [];
  const status = await call(mesh, { op: 'status' }, 10_000);
  for (const j of joins) if (!isMember(status, j.session, j.node)) violations.push({ fault: j.fault, where: 'store', what: `acknowledged join of ${j.node} to ${j.session} lost` });
  const check = async (): Promise<Violation[]> => {
    const found: Violation[] = [...violations];
    found.push(...checkPlace(`mirror/${SESSION}`, ops, await observeFiles(path.join(mesh.dataDir, 'sessions', SESSION)), () => true));
    for (const id of BASE_NODES) {
      found.push(...checkPlace(`${id}/${SESSION}`, ops, await observeFiles(path.join(mesh.workspace(id), 'sessions', SESSION)), (op) => op.members.includes(id)));
    }
    for (const t of await tempFiles(path.join(mesh.dataDir, 'sessions'))) found.push({ fault: 'temp', where: `hub/${t}`, what: 'temp file left' });
    for (const id of BASE_NODES) for (const t of await tempFiles(mesh.workspace(id))) found.push({ fault: 'temp', where: `${id}/${t}`, what: 'temp or part file left' });
    return found;
  };
  let found: Violation[] = [];
  // Settled: nothing left to deliver to an attached node (a delivery to a node that is not
  // attached, the joiner's for one, waits for it and is not what this check is about).
  const settled = (status: { online: string[]; transfers: Array<{ nodes: Array<{ node: string; state: string }> }> }) =>
    status.transfers.every((t) => t.nodes.every((n) => n.state !== 'pending' || !status.online.includes(n.node)));
  await eventually(async () => {
    found = await check();
    return found.length === 0 && settled(await call(mesh, { op: 'status' }, 10_000));
  }, 30_000, 500).catch(() => {});
  found = await check();
  for (const v of found) {
    const row = results.find((x) => x.name === v.fault) ?? results.at(-1);
    if (!row) continue;
    row.survived = false;
    row.detail.push(`${v.where}: ${v.what}`);
  }
  log(`  store: ${ops.length} ops, ${ops.filter((o) => o.acked).length} acknowledged, ${joins.length} joins acknowledged, ${found.length} violations after a restart from PostgreSQL`);
}
