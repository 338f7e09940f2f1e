// A hub and three node agents as real processes: nodes attach and join; the
// hub is killed with SIGKILL and started again on the same data folder; every
// node re-attaches by itself with exactly the memberships it had. Once on the
// embedded store, once on PostgreSQL.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MeshStore } from '../../../src/mesh/store/mesh-store.js';
import { dropTable, freshPgStoreUrl, postgresAvailable } from '../../support/postgres.js';
import { freePort, killAll, startHubProc, startNodeProc, tempDir, waitAttached, type Proc } from '../../support/processes.js';

afterAll(killAll);

const stores = [
  { name: 'embedded SQLite', url: () => undefined as string | undefined },
  { name: 'PostgreSQL', url: () => freshPgStoreUrl() },
];

function attachedSessions(line: string): string[] {
  return JSON.parse(line).sessions;
}

describe.each(stores)('membership survives a hub crash ($name)', ({ name, url }) => {
  it('re-attaches every node with exactly its memberships', async (ctx) => {
    if (name === 'PostgreSQL' && !(await postgresAvailable())) return ctx.skip();
    const storeUrl = url();
    const tmp = await tempDir();
    try {
      const dataDir = path.join(tmp.dir, 'hub');
      const port = await freePort();
      let hub = await startHubProc({ dataDir, grpcPort: port, storeUrl });
      const plan: Record<string, string[]> = { n1: ['alpha', 'beta'], n2: ['beta'], n3: ['gamma'] };
      const nodes: Record<string, Proc> = {};
      for (const [id, sessions] of Object.entries(plan)) {
        nodes[id] = startNodeProc({ id, workspace: path.join(tmp.dir, id), hubPort: port, sessions, extraArgs: ['--scan-interval', '0'] });
      }
      for (const [id, sessions] of Object.entries(plan)) {
        expect(attachedSessions(await waitAttached(nodes[id]!, 1))).toEqual(sessions);
      }
      // The hub saw all three, with the sessions each named.
      for (const id of Object.keys(plan)) await hub.waitFor(new RegExp(`"node":"${id}".*"msg":"node attached"`));

      await hub.kill('SIGKILL');
      hub = await startHubProc({ dataDir, grpcPort: port, storeUrl });
      for (const [id, sessions] of Object.entries(plan)) {
        expect(attachedSessions(await waitAttached(nodes[id]!, 2, 40_000))).toEqual(sessions);
      }
      // Memberships come from the store, not from the node's flags: n1
      // restarted without any --session still gets both of its sessions.
      await nodes.n1!.kill('SIGKILL');
      const n1 = startNodeProc({ id: 'n1', workspace: path.join(tmp.dir, 'n1'), hubPort: port, sessions: [], extraArgs: ['--scan-interval', '0'] });
      expect(attachedSessions(await waitAttached(n1, 1))).toEqual(['alpha', 'beta']);

      await hub.kill('SIGTERM');
      const store = await MeshStore.open(storeUrl, dataDir);
      const { memberships } = await store.load();
      await store.close();
      expect(memberships.map((m) => `${m.session}/${m.node}`).sort()).toEqual(['alpha/n1', 'beta/n1', 'beta/n2', 'gamma/n3']);
    } finally {
      await killAll();
      if (storeUrl) await dropTable(storeUrl);
      await tmp.cleanup();
    }
  });
});
