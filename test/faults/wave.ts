// A wave of concurrent writes through the hub driver, recorded in the
// model's history (acknowledged or not, and which members confirmed each),
// and the check that settles a fault against that history: every
// acknowledged write on the mirror and on each member that confirmed it,
// whole; no temp or part file left. Shared by the kinds that inject a fault
// under writes and then judge it (process, network).
import path from 'node:path';
import { eventually } from '../support/processes.js';
import type { Mesh } from '../mesh/transfer/helpers.js';
import { checkPlace, type Op, type rng } from './model.js';
import { observeFiles, tempFiles } from './observe.js';
import { contentHashOf } from '../../src/mesh/fs/content-hash.js';

export interface History {
  ops: Op[];
  seq: number;
}

/** The mesh's file hash of a version (what the observer reads back from disk). */
const sha = (data: string): string => contentHashOf(data);

/**
 * Send `count` writes at once (about a third to a few shared paths, so later
 * writes overwrite earlier ones); resolves when every one has answered.
 */
export function writeWave(mesh: Mesh, history: History, fault: string, session: string, r: ReturnType<typeof rng>, count = r.int(3, 6)): Promise<void> {
  const sends: Array<Promise<unknown>> = [];
  const used = new Set<string>();
  const tag = history.seq;
  for (let j = 0; j < count; j++) {
    let rel = r.next() < 0.35 ? `shared/f${r.int(0, 2)}.txt` : `w${tag}/f${j}.txt`;
    if (used.has(rel)) rel = `w${tag}/f${j}.txt`;
    used.add(rel);
    const content = `${fault} op ${j} of ${tag}\n`.repeat(r.int(1, 2000));
    const op: Op = { fault, session, path: rel, sha256: sha(content), seq: history.seq++, acked: false, members: [] };
    history.ops.push(op);
    // A hub killed mid-wave never answers: its exit settles the call (unacknowledged) at once.
    const hub = mesh.hub;
    sends.push(
      Promise.race([hub.call({ op: 'write', session, path: rel, content }, 90_000), hub.exited.then(() => Promise.reject(new Error('hub exited')))]).then(
        (result: { outcomes: Array<{ node: string; status: string }> }) => {
          op.acked = true;
          op.members = result.outcomes.filter((o) => o.status === 'ok').map((o) => o.node);
        },
        () => {},
      ),
    );
  }
  return Promise.all(sends).then(() => {});
}

/** Violations of one session's history on the mirror and the given nodes, plus temp files; waits (bounded) for the mesh to settle. */
export async function settleAndCheck(mesh: Mesh, history: History, session: string, nodes: string[], waitMs = 30_000): Promise<Array<{ fault: string; what: string }>> {
  const ops = history.ops.filter((o) => o.session === session);
  const check = async () => {
    const found: Array<{ fault: string; what: string }> = [];
    const mirror = await observeFiles(path.join(mesh.dataDir, 'sessions', session));
    for (const v of checkPlace(`mirror/${session}`, ops, mirror, () => true)) found.push({ fault: v.fault, what: `${v.where}: ${v.what}` });
    for (const id of nodes) {
      const copy = await observeFiles(path.join(mesh.workspace(id), 'sessions', session));
      for (const v of checkPlace(`${id}/${session}`, ops, copy, (op) => op.members.includes(id))) found.push({ fault: v.fault, what: `${v.where}: ${v.what}` });
    }
    for (const t of await tempFiles(path.join(mesh.dataDir, 'sessions'))) found.push({ fault: 'temp', what: `hub/${t}: temp file left` });
    for (const id of nodes) for (const t of await tempFiles(mesh.workspace(id))) found.push({ fault: 'temp', what: `${id}/${t}: temp or part file left` });
    return found;
  };
  let found: Array<{ fault: string; what: string }> = [];
  await eventually(async () => {
    found = await check();
    return found.length === 0 && (await mesh.hub.call({ op: 'status' }, 10_000)).transfers.length === 0;
  }, waitMs, 250).catch(() => {});
  return check();
}
