// Fault kind "process": what the operating system can do to a running hub or
// node besides killing it (SIGKILL and node SIGSTOP mid-push are kind-node):
// - clock jumps: the wall clock of the hub or of one node jumps by +1 h or
//   -1 h in the middle of a wave of writes, and back afterwards (libfaketime,
//   preloaded, offset read from a file; the monotonic clock is left alone, as
//   an NTP step leaves it). No write may be lost, no drift reported (the hub
//   runs with --drift report, so any drift event is a false one), no node
//   refused or dropped;
// - two hubs on one data folder: a second hub started on the folder of a
//   running one fails at once naming it, and touches nothing; two hubs
//   started together on the folder of a killed one: exactly one runs;
// - the hub SIGSTOPped in the middle of a wave of writes, then SIGCONTinued.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort, spawnCli, type Proc } from '../support/processes.js';
import { startMesh, type Mesh } from '../mesh/transfer/helpers.js';
import { rng, type FaultResult } from './model.js';
import { observeFiles } from './observe.js';
import { settleAndCheck, writeWave, type History } from './wave.js';

export interface ProcessFaultOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

const SESSION = 'p';
const NODES = ['n0', 'n1'];
export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

export function faketimeAvailable(): boolean {
  return existsSync(FAKETIME_LIB);
}

/** Environment that lets the suite move a process's wall clock by rewriting `offsetFile` ("+1h", "-1h", "+0"). */
function clockEnv(offsetFile: string): Record<string, string> {
  return {
    LD_PRELOAD: FAKETIME_LIB,
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    // Read the offset at every clock call: a jump takes effect at once, as an NTP step does.
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

const refusalLines = (p: Proc): number => p.lines.filter((l) => /UNAUTHENTICATED|refused"/.test(l)).length;

async function clockFaults(options: ProcessFaultOptions, r: ReturnType<typeof rng>): Promise<FaultResult[]> {
  const results: FaultResult[] = [];
  const clocks = new Map<string, string>();
  let mesh: Mesh | undefined;
  try {
    // The offset files live outside the mesh folder, which does not exist before startMesh.
    const dir = path.join(os.tmpdir(), `mesh-clock-${process.pid}-${options.seed}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const who of ['hub', ...NODES]) {
      clocks.set(who, path.join(dir, who));
      await writeFile(clocks.get(who)!, '+0\n');
    }
    mesh = await startMesh({ hubArgs: ['--drift', 'report'], hubEnv: clockEnv(clocks.get('hub')!) });
    await Promise.all(NODES.map((id) => mesh!.startNode({ id, sessions: [SESSION], env: clockEnv(clocks.get(id)!) })));
    const history: History = { ops: [], seq: 0 };
    await writeWave(mesh, history, 'setup', SESSION, r, 2);
    const jumps = options.quick ? 1 : 6;
    for (let i = 0; i < jumps; i++) {
      const who = ['hub', ...NODES][i % 3]!;
      const offset = (i >> 1) % 2 === 0 ? '+1h' : '-1h';
      const fault = `process: ${who} clock jumps ${offset} mid-writes #${i}`;
      const broken: string[] = [];
      const drift0 = mesh.hub.lines.filter((l) => l.includes('"event":"drift"')).length;
      const refusals0 = refusalLines(mesh.hub);
      const unreachable0 = NODES.map((id) => mesh!.nodes.get(id)!.count(/hub unreachable/));
      const wave = writeWave(mesh, history, fault, SESSION, r);
      await new Promise((resolve) => setTimeout(resolve, r.int(0, 200))); // the seeded moment, writes in flight
      await writeFile(clocks.get(who)!, `${offset}\n`);
      await wave;
      // A second wave and a few manifest scans (every 500 ms) under the jumped clock.
      await writeWave(mesh, history, fault, SESSION, r);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // let several manifests cross the jumped clock
      await writeFile(clocks.get(who)!, '+0\n'); // and back: a jump the other way
      await writeWave(mesh, history, fault, SESSION, r);
      for (const v of await settleAndCheck(mesh, history, SESSION, NODES)) if (v.fault === fault || v.fault === 'temp') broken.push(v.what);
      // The last manifests after the jump back have been checked once a fresh scan round passed.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const drift = mesh.hub.lines.filter((l) => l.includes('"event":"drift"')).slice(drift0);
      if (drift.length) broken.push(`${drift.length} false drift event(s), first: ${drift[0]!.slice(0, 300)}`);
      if (refusalLines(mesh.hub) > refusals0) broken.push('the hub refused a call after the jump');
      NODES.forEach((id, k) => {
        if (mesh!.nodes.get(id)!.count(/hub unreachable/) > unreachable0[k]!) broken.push(`${id} lost the hub after the jump`);
      });
      results.push({ kind: 'process', name: fault, survived: broken.length === 0, detail: broken });
      options.log(`  ${broken.length === 0 ? 'ok  ' : 'LOST'} ${fault}`);
    }
    await rm(dir, { recursive: true, force: true });
    return results;
  } finally {
    await mesh?.close();
  }
}

/** A second hub on the data folder of a running one: refused at once, naming it; nothing in the folder changes. */
async function secondHub(mesh: Mesh, history: History, r: ReturnType<typeof rng>): Promise<FaultResult> {
  const fault = 'process: a second hub started on the data folder of a running one';
  const broken: string[] = [];
  await writeWave(mesh, history, fault, SESSION, r);
  // What a refused hub must not change: the mirrors and the running hub's lock record.
  const snapshot = async () => JSON.stringify([...(await observeFiles(mesh.dataDir)).entries()].filter(([p]) => p.startsWith('sessions/') || p === 'hub.lock').sort());
  const before = await snapshot();
  const second = spawnCli(['hub', '--no-http', '--data', mesh.dataDir, '--grpc', `127.0.0.1:${await freePort()}`], { MESH_NODE_TOKENS: 'test-token' });
  const code = await Promise.race([second.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 20_000))]);
  const said = second.lines.find((l) => l.startsWith('mesh-assistant: ')) ?? '';
  if (code !== 1) broken.push(`the second hub ${code === 'running' ? 'kept running' : `exited ${code}`}`);
  for (const must of ['HUB_ALREADY_RUNNING', mesh.dataDir, `pid ${mesh.hub.child.pid}`, mesh.hub.grpc]) if (!said.includes(must)) broken.push(`the refusal does not name ${must}: ${said}`);
  await second.kill('SIGKILL');
  if ((await snapshot()) !== before) broken.push('the data folder changed while only the refused hub ran');
  await writeWave(mesh, history, fault, SESSION, r);
  for (const v of await settleAndCheck(mesh, history, SESSION, NODES)) if (v.fault === fault || v.fault === 'temp') broken.push(v.what);
  return { kind: 'process', name: fault, survived: broken.length === 0, detail: broken };
}

/** The hub SIGKILLed; two hubs then start on its folder at the same moment: exactly one runs, and it has every acknowledged write. */
async function racingHubs(mesh: Mesh, history: History, r: ReturnType<typeof rng>): Promise<FaultResult> {
  const fault = 'process: two hubs start together on the folder of a SIGKILLed hub';
  const broken: string[] = [];
  const wave = writeWave(mesh, history, fault, SESSION, r);
  await new Promise((resolve) => setTimeout(resolve, r.int(0, 300)));
  await mesh.hub.kill('SIGKILL');
  await wave;
  const rival = spawnCli(['hub', '--no-http', '--data', mesh.dataDir, '--grpc', `127.0.0.1:${await freePort()}`], { MESH_NODE_TOKENS: 'test-token' });
  const driver = mesh.startHub().then(
    () => 'ready' as const,
    () => 'refused' as const,
  );
  const rivalOutcome = Promise.race([rival.waitFor(/"msg":"hub ready"/, 40_000).then(() => 'ready' as const), rival.exited.then(() => 'refused' as const)]).catch(() => 'refused' as const);
  const outcomes = [await driver, await rivalOutcome];
  if (outcomes.filter((o) => o === 'ready').length !== 1) broken.push(`outcomes of the two hubs: ${outcomes.join(', ')} (exactly one must run)`);
  const loser = outcomes[0] === 'ready' ? rival : undefined;
  if (loser && !loser.lines.some((l) => l.includes('HUB_ALREADY_RUNNING'))) broken.push(`the losing hub did not say HUB_ALREADY_RUNNING: ${loser.lines.slice(-2).join(' | ')}`);
  await rival.kill('SIGTERM');
  if (outcomes[0] !== 'ready') await mesh.startHub(); // the rival won; now it is gone, the mesh's own hub takes the folder
  await Promise.all(NODES.map((id) => eventually(async () => ((await mesh.hub.call({ op: 'status' }, 10_000)).online as string[]).includes(id), 40_000)));
  await writeWave(mesh, history, fault, SESSION, r);
  for (const v of await settleAndCheck(mesh, history, SESSION, NODES, 60_000)) if (v.fault === fault || v.fault === 'temp') broken.push(v.what);
  return { kind: 'process', name: fault, survived: broken.length === 0, detail: broken };
}

/** The hub stopped (SIGSTOP) for a seeded while in the middle of writes, then continued: nothing lost, nodes served again. */
async function stoppedHub(mesh: Mesh, history: History, r: ReturnType<typeof rng>, round: number): Promise<FaultResult> {
  const stopMs = r.int(1_000, 4_000);
  const fault = `process: hub SIGSTOP for ${stopMs} ms mid-writes #${round}`;
  const broken: string[] = [];
  const wave = writeWave(mesh, history, fault, SESSION, r);
  await new Promise((resolve) => setTimeout(resolve, r.int(0, 200)));
  mesh.hub.child.kill('SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, stopMs)); // the fault's duration
  mesh.hub.child.kill('SIGCONT');
  await wave;
  await writeWave(mesh, history, fault, SESSION, r);
  for (const v of await settleAndCheck(mesh, history, SESSION, NODES)) if (v.fault === fault || v.fault === 'temp') broken.push(v.what);
  const last = history.ops.filter((o) => o.fault === fault).at(-1);
  if (last && !(last.acked && NODES.every((id) => last.members.includes(id)))) broken.push(`the write after SIGCONT was not confirmed by every node (${last.members.join(',')})`);
  return { kind: 'process', name: fault, survived: broken.length === 0, detail: broken };
}

export async function runProcess(options: ProcessFaultOptions): Promise<FaultResult[]> {
  const r = rng(options.seed ^ 0x9e0c);
  const results: FaultResult[] = [];
  if (faketimeAvailable()) results.push(...(await clockFaults(options, r)));
  else if (process.env.CI === 'true') results.push({ kind: 'process', name: 'clock jumps (libfaketime missing)', survived: false, detail: [`${FAKETIME_LIB} not found: apt-get install faketime`] });
  else options.log(`!!! libfaketime missing (apt-get install faketime): clock jumps SKIPPED !!!`);

  const mesh = await startMesh();
  try {
    await Promise.all(NODES.map((id) => mesh.startNode({ id, sessions: [SESSION] })));
    const history: History = { ops: [], seq: 0 };
    const steps: Array<() => Promise<FaultResult>> = [() => secondHub(mesh, history, r), () => racingHubs(mesh, history, r)];
    for (let i = 0; i < (options.quick ? 0 : 2); i++) steps.push(() => stoppedHub(mesh, history, r, i));
    for (const step of steps) {
      const res = await step();
      results.push(res);
      options.log(`  ${res.survived ? 'ok  ' : 'LOST'} ${res.name}`);
    }
    // Nothing else may have appeared in the data folder's root (a second hub's leftovers, a stray lock).
    const root = (await readdir(mesh.dataDir)).filter((n) => !/^(sessions|staging|skills|mesh(\.manifest)?\.sqlite.*|hub\.lock|http-token)$/.test(n));
    if (root.length && results.length) {
      const last = results[results.length - 1]!;
      last.survived = false;
      last.detail.push(`unexpected entries in the data folder: ${root.join(', ')}`);
    }
    return results;
  } finally {
    await mesh.close();
  }
}
