// Regression: a hub on PostgreSQL died when the server stopped. The store
// adapter's pool had no 'error' listener, so the idle connections the server
// closed became an unhandled 'error' event (found by the store faults,
// `npm run faults -- --only store`). Now, on a private cluster that this test
// stops and starts: the same hub process answers STORE_UNAVAILABLE while the
// server is down, does not acknowledge a node's join, and recovers by itself.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPgCluster, pgBinDir, type PgCluster } from '../../support/pg-cluster.js';
import { freePort, killAll, startHubDriver, startNodeProc, tempDir, waitAttached, type HubDriver } from '../../support/processes.js';

let pg: PgCluster | undefined;
const available = pgBinDir() !== undefined;
if (!available && process.env.CI === 'true') throw new Error('PostgreSQL server binaries are required under CI=true (initdb, pg_ctl)');

beforeAll(async () => {
  if (available) pg = await createPgCluster();
});
afterAll(async () => {
  await killAll();
  await pg?.destroy();
});

const member = (status: { sessions: Array<{ name: string; members: Array<{ node: string }> }> }, session: string, node: string) =>
  status.sessions.some((s) => s.name === session && s.members.some((m) => m.node === node));

it.skipIf(!available).each(['fast', 'immediate'] as const)('PostgreSQL stopped (%s) and started: clear errors, no join acknowledged meanwhile, recovery without a restart', async (mode) => {
  const tmp = await tempDir('mesh-store-outage-');
  try {
    const port = await freePort();
    const hub: HubDriver = await startHubDriver(['--data', path.join(tmp.dir, 'hub'), '--grpc', `127.0.0.1:${port}`, '--store', `${pg!.url}?table=outage_${mode}`]);
    const n0 = startNodeProc({ id: 'n0', workspace: path.join(tmp.dir, 'ws-n0'), hubPort: port, sessions: ['s'] });
    await waitAttached(n0);
    await hub.call({ op: 'write', session: 's', path: 'before.txt', content: 'before' });
    const pid = hub.child.pid;

    await pg!.stop(mode);
    await expect(hub.call({ op: 'write', session: 's', path: 'during.txt', content: 'during' }, 20_000)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    // A node attaching now needs the store for its membership: it must not be welcomed.
    const n1 = startNodeProc({ id: 'n1', workspace: path.join(tmp.dir, 'ws-n1'), hubPort: port, sessions: ['t'] });
    await hub.waitFor((l) => {
      const e = JSON.parse(l) as { msg?: string; node?: string; code?: string; err?: string };
      // Refused where the store is first needed: reading the node's identity (authentication) or storing its membership.
      return (
        (e.msg === 'control stream closed with an error' && e.node === 'n1' && e.code === 'STORE_UNAVAILABLE') ||
        (e.msg === 'attach refused' && /store read of identity:n1 failed/.test(e.err ?? ''))
      );
    }, 20_000);
    expect(n1.lines.some((l) => l.includes('"msg":"attached"'))).toBe(false);
    expect(member(await hub.call({ op: 'status' }), 't', 'n1')).toBe(false);

    await pg!.start();
    await waitAttached(n1, 1, 40_000);
    expect(member(await hub.call({ op: 'status' }), 't', 'n1')).toBe(true);
    const after = await hub.call({ op: 'write', session: 's', path: 'after.txt', content: 'after' });
    expect(after.outcomes).toEqual([expect.objectContaining({ node: 'n0', status: 'ok' })]);
    expect(hub.child.pid).toBe(pid);
    expect(hub.child.exitCode).toBeNull();
    await hub.kill('SIGKILL');
  } finally {
    await killAll();
    await tmp.cleanup();
  }
});
