// rm and mv that an offline node has not received survive a hub SIGKILL:
// the records are in the store, and the restarted hub replays them when the
// node attaches (and drift, meanwhile, brings nothing back).
import { lstat, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { data, killStdioHubs, startStdioHub, type StdioHub } from './mcp-hub.js';

let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
const exists = (p: string) => lstat(p).then(() => true, () => false);

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

async function online(hub: StdioHub, id: string): Promise<boolean> {
  return data(await hub.call('status')).sessions.find((s: any) => s.name === 'demo')?.members.some((m: any) => m.node === id && m.online);
}

it('a queued rm and mv reach a node that returns after the hub was SIGKILLed and restarted', async () => {
  tmp = await tempDir('mesh-file-ops-restart-');
  const dataDir = path.join(tmp.dir, 'hub');
  const sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  const grpcPort = await freePort();
  const ws = (id: string) => path.join(tmp!.dir, id);
  const onBeta = (rel: string) => path.join(ws('beta'), 'sessions', 'demo', rel);
  const first = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  const alpha = startNodeProc({ id: 'alpha', workspace: ws('alpha'), hubPort: grpcPort, sessions: ['demo'] });
  let beta = startNodeProc({ id: 'beta', workspace: ws('beta'), hubPort: grpcPort, sessions: ['demo'] });
  await Promise.all([waitAttached(alpha), waitAttached(beta)]);
  await eventually(async () => (await online(first, 'alpha')) && (await online(first, 'beta')));
  for (const f of ['x/a.txt', 'x/b.txt']) data(await first.call('write', { session: 'demo', path: f, content: f }));
  await beta.kill('SIGKILL');
  await beta.exited;
  await eventually(async () => !(await online(first, 'beta')));

  const statuses = (r: any) => r.outcomes.map((o: any) => [o.node, o.status]);
  expect(statuses(data(await first.call('rm', { session: 'demo', path: 'x/a.txt' })))).toEqual([['alpha', 'ok'], ['beta', 'offline']]);
  expect(statuses(data(await first.call('mv', { session: 'demo', from: 'x/b.txt', to: 'x/c.txt' })))).toEqual([['alpha', 'ok'], ['beta', 'offline']]);
  process.kill(first.pid, 'SIGKILL');

  const second = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  beta = startNodeProc({ id: 'beta', workspace: ws('beta'), hubPort: grpcPort, sessions: ['demo'] });
  await waitAttached(beta);
  await eventually(async () => !(await exists(onBeta('x/a.txt'))) && !(await exists(onBeta('x/b.txt'))) && (await exists(onBeta('x/c.txt'))));
  expect(await readFile(onBeta('x/c.txt'), 'utf8')).toBe('x/b.txt');
  // A later write shows beta's manifests have been checked since: no drift about the removed or moved paths.
  data(await second.call('write', { session: 'demo', path: 'x/later.txt', content: 'later' }));
  await eventually(() => exists(onBeta('x/later.txt')));
  const drift = data(await second.call('status')).drift.filter((d: any) => d.node === 'beta');
  expect(drift).toEqual([]);
});
