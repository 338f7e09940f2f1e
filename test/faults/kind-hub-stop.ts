// Fault kind "hub stop": the hub is stopped (SIGTERM) or killed (SIGKILL) in
// the middle of a push to three nodes, at a seeded point found from what the
// leading node holds on disk (its part file), not from time; staging is
// slowed so early points cut it short. A new hub on the same data folder
// must finish the push alone. Checks: a SIGTERM exits cleanly and answers the
// pending push with HUB_STOPPING naming the transfer; after the restart the
// file is on the mirror and on every node with the source's content hash,
// no transfer is left pending, and no temp file, part file or empty folder
// remains in the mirror, the staging folder or any node's copy.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { makeTestFile } from '../../bench/lib/data.js';
import { eventually, waitAttached } from '../support/processes.js';
import { leftovers, MiB, partSize, runningTransferId, sha256File, startMesh, waitForFile } from '../mesh/transfer/helpers.js';
import { rng, type FaultResult } from './model.js';

export interface HubStopFaultOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

const SESSION = 's';
const NODES = ['n1', 'n2', 'n3'];
/** Six chunks: a point from 10 % to 90 % falls in a different chunk each time. */
const SIZE = 24 * MiB;

async function oneFault(round: number, signal: 'SIGTERM' | 'SIGKILL', at: number, log: (l: string) => void): Promise<FaultResult> {
  const name = `hub ${signal} at ${Math.round(at * 100)} % of a push #${round}`;
  const broken: string[] = [];
  const mesh = await startMesh({ hubEnv: { MESH_FAULTS: 'slow-source=100' } });
  try {
    const file = await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 100 + round);
    await Promise.all(NODES.map((id) => mesh.startNode({ id, sessions: [SESSION], rate: 8 * MiB })));
    const targets = NODES.map((id) => mesh.nodeFile(id, SESSION, 'in/big.bin'));
    const mirrorFile = path.join(mesh.dataDir, 'sessions', SESSION, 'in', 'big.bin');
    const push = mesh.hub.send({ op: 'push', session: SESSION, source: 'big.bin', dest: 'in/big.bin' });
    const answer = push.then(
      () => ({ error: undefined as { code?: string; message?: string } | undefined }),
      (error: { code?: string; message?: string }) => ({ error }),
    );
    const transferId = await runningTransferId(mesh.hub, SESSION);
    await eventually(async () => Math.max(...(await Promise.all(targets.map(partSize)))) >= SIZE * at, 60_000, 20);
    await mesh.hub.kill(signal);
    const code = await mesh.hub.exited;
    if (signal === 'SIGTERM') {
      if (code !== 0) broken.push(`SIGTERM: the hub exited with ${code}, not 0`);
      const { error } = await answer;
      if (error?.code !== 'HUB_STOPPING' || !error.message?.includes(transferId) || !error.message.includes('status')) {
        broken.push(`SIGTERM: the pending push got ${JSON.stringify(error)}, not HUB_STOPPING naming ${transferId} and status`);
      }
    }
    log(`  ${name}: stopped, restarting on the same data folder`);
    const hub = await mesh.startHub();
    for (const id of NODES) await waitAttached(mesh.nodes.get(id)!, 2, 30_000);
    for (const id of NODES) mesh.proxies.get(id)!.setRate(Infinity);
    for (const [i, t] of targets.entries()) await waitForFile(t, file.sha256, 60_000).catch(() => broken.push(`${NODES[i]} never held the file`));
    await waitForFile(mirrorFile, file.sha256, 30_000).catch(() => broken.push('the mirror never held the file'));
    await eventually(async () => (await hub.call({ op: 'status' })).transfers.length === 0, 20_000).catch(() => broken.push('the transfer stayed pending'));
    await eventually(async () => (await readdir(path.join(mesh.dataDir, 'staging'))).length === 0, 10_000).catch(() => broken.push('staging was not removed'));
    const roots = [path.join(mesh.dataDir, 'sessions'), ...NODES.map((id) => path.join(mesh.workspace(id), 'sessions'))];
    for (const root of roots) for (const left of await leftovers(root)) broken.push(`left behind: ${left}`);
    if ((await sha256File(mirrorFile)) !== file.sha256) broken.push('mirror file has the wrong content');
  } catch (err) {
    broken.push(String((err as Error)?.stack ?? err));
  } finally {
    await mesh.close();
  }
  return { kind: 'hub-stop', name, survived: broken.length === 0, detail: broken };
}

export async function runHubStop(options: HubStopFaultOptions): Promise<FaultResult[]> {
  const r = rng(options.seed ^ 0x5167);
  const results: FaultResult[] = [];
  const signals = options.quick ? (['SIGTERM'] as const) : (['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'] as const);
  for (const signal of signals) {
    const at = r.int(10, 90) / 100;
    const res = await oneFault(results.length, signal, at, options.log);
    results.push(res);
    options.log(`  ${res.survived ? 'ok  ' : 'LOST'} ${res.name}`);
  }
  return results;
}
