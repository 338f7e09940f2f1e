// Fault kind "node process": one node (behind a throttling proxy) is
// SIGKILLed, or SIGSTOPped and later SIGCONTinued, in the middle of a push of
// a few chunks. Checks: the other members get the file while the victim is
// down; the victim completes once it is back; the proxy's own byte counters
// (an observer outside the node) show that resuming refetched at most one
// chunk; no part file is left.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../support/processes.js';
import {
  CHUNK_SIZE,
  findPartFile,
  MiB,
  partSize,
  sha256File,
  startMesh,
  WIRE_SLACK,
  waitForFile,
  type Mesh,
} from '../mesh/transfer/helpers.js';
import { rng, type FaultResult } from './model.js';

export interface NodeFaultOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

const SESSION = 's';
const VICTIM = 'n0';
const OTHERS = ['n1', 'n2'];
/** Four chunks and a bit, random so it travels uncompressed (wire bytes = file bytes). */
const SIZE = 4 * CHUNK_SIZE + 4321;
/** The victim's link while the fault is armed, bytes per second: slow enough to stop it mid-chunk. */
const VICTIM_RATE = 8 * MiB;

type Signal = 'SIGKILL' | 'SIGSTOP';

async function oneFault(mesh: Mesh, round: number, signal: Signal, r: ReturnType<typeof rng>, log: (l: string) => void): Promise<FaultResult> {
  const name = `node ${signal === 'SIGKILL' ? 'SIGKILL' : 'SIGSTOP/SIGCONT'} mid-push #${round}`;
  const broken: string[] = [];
  const rel = `fault-${round}.bin`;
  const data = randomBytes(SIZE);
  await writeFile(path.join(mesh.sourceDir, rel), data);
  const expected = (await sha256File(path.join(mesh.sourceDir, rel)))!;
  const proxy = mesh.proxies.get(VICTIM)!;
  proxy.setRate(VICTIM_RATE);
  const before = proxy.stats().down;
  const target = mesh.nodeFile(VICTIM, SESSION, rel);
  const push = mesh.hub.send({ op: 'push', session: SESSION, source: rel, dest: rel });
  push.catch(() => {});
  try {
    // The seeded point: after 1 or 2 verified chunks, then a little into the next one.
    const chunks = r.int(1, 2);
    await eventually(async () => (await partSize(target)) >= chunks * CHUNK_SIZE, 30_000, 20);
    const into = r.int(0, 300);
    await new Promise((resolve) => setTimeout(resolve, into)); // part-way into the next chunk
    let victim = mesh.nodes.get(VICTIM)!;
    if (signal === 'SIGKILL') await victim.kill('SIGKILL');
    else victim.child.kill('SIGSTOP');
    log(`  ${name}: victim ${signal} after ${chunks} chunk(s) + ${into} ms`);

    // The others are unaffected: they hold the file while the victim is down.
    for (const id of OTHERS) {
      await waitForFile(mesh.nodeFile(id, SESSION, rel), expected, 20_000).catch(() => broken.push(`${id} did not get the file while ${VICTIM} was down`));
    }
    if (signal === 'SIGSTOP') {
      const stoppedMs = r.int(200, 1500);
      await new Promise((resolve) => setTimeout(resolve, stoppedMs)); // how long the victim stays stopped
      proxy.setRate(Infinity);
      victim.child.kill('SIGCONT');
    } else {
      proxy.setRate(Infinity);
      victim = await mesh.startNode({ id: VICTIM, sessions: [SESSION], rate: Infinity });
    }
    await waitForFile(target, expected, 30_000).catch(() => broken.push(`${VICTIM} did not complete after it came back`));
    await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 20_000).catch(() =>
      broken.push('the transfer was still pending on the hub after every node held the file'),
    );
    const wire = proxy.stats().down - before;
    const refetched = wire - SIZE;
    log(`  ${name}: ${wire} bytes crossed the victim's link for ${SIZE} (refetch + overhead ${refetched})`);
    if (refetched > CHUNK_SIZE + WIRE_SLACK(SIZE)) broken.push(`resume refetched ${refetched} bytes, more than one chunk (${CHUNK_SIZE}) plus framing`);
    for (const id of [VICTIM, ...OTHERS]) {
      const part = await findPartFile(mesh.nodeFile(id, SESSION, rel));
      if (part) broken.push(`part file left on ${id}: ${path.basename(part)}`);
    }
  } catch (err) {
    broken.push(String((err as Error)?.stack ?? err));
  }
  await push.catch(() => {});
  return { kind: 'node', name, survived: broken.length === 0, detail: broken };
}

export async function runNodeProcess(options: NodeFaultOptions): Promise<FaultResult[]> {
  const r = rng(options.seed ^ 0x0de);
  const mesh = await startMesh();
  const results: FaultResult[] = [];
  try {
    await mesh.startNode({ id: VICTIM, sessions: [SESSION], rate: VICTIM_RATE });
    // The others sit behind unthrottled proxies too, so every link is counted the same way.
    await Promise.all(OTHERS.map((id) => mesh.startNode({ id, sessions: [SESSION], rate: Infinity })));
    const rounds = options.quick ? 1 : 3;
    for (let i = 0; i < rounds; i++) {
      for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
        const res = await oneFault(mesh, results.length, signal, r, options.log);
        results.push(res);
        options.log(`  ${res.survived ? 'ok  ' : 'LOST'} ${res.name}`);
      }
    }
    return results;
  } finally {
    await mesh.close();
  }
}
