// 50 node agents join one session at the same moment, over real gRPC
// streams: every membership is stored (one key per edge, so no join can
// overwrite another). Runs on both stores.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { Hub } from '../../../src/mesh/hub/hub.js';
import { NodeAgent } from '../../../src/mesh/node/agent.js';
import { MeshStore } from '../../../src/mesh/store/mesh-store.js';
import { dropTable, freshPgStoreUrl, postgresAvailable } from '../../support/postgres.js';
import { tempDir } from '../../support/processes.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each([
  { name: 'embedded SQLite', pg: false },
  { name: 'PostgreSQL', pg: true },
])('concurrent joins ($name)', ({ pg }) => {
  it('stores all 50 memberships of one session', async (ctx) => {
    if (pg && !(await postgresAvailable())) return ctx.skip();
    const storeUrl = pg ? freshPgStoreUrl() : undefined;
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    if (storeUrl) cleanups.push(() => dropTable(storeUrl));
    const dataDir = path.join(tmp.dir, 'hub');
    const hub = await Hub.start({
      dataDir,
      storeUrl,
      grpcAddress: '127.0.0.1:0',
      nodeTokens: ['t'],
      sourceRoots: [],
      driftMode: 'report',
      autoPromote: false,
      log: silentLogger,
    });
    cleanups.push(() => hub.stop());
    const agents = Array.from(
      { length: 50 },
      (_, i) =>
        new NodeAgent({ hub: hub.grpcAddress, nodeId: `node-${i}`, token: 't', workspace: path.join(tmp.dir, `ws-${i}`), sessions: ['crowd'], scanIntervalMs: 0 }),
    );
    cleanups.push(async () => void (await Promise.all(agents.map((a) => a.stop()))));
    const attached = agents.map((a) => new Promise<string[]>((resolve) => a.once('attached', resolve)));
    await Promise.all(agents.map((a) => a.start()));
    const sessions = await Promise.all(attached);
    expect(sessions.every((s) => s.length === 1 && s[0] === 'crowd')).toBe(true);
    expect(hub.membership.membersOf('crowd')).toHaveLength(50);

    // The store, read independently, holds every edge.
    const store = await MeshStore.open(storeUrl, dataDir);
    const { memberships } = await store.load();
    await store.close(); // its own connection pool: each store owns one (src/mesh/store/postgres-adapter.ts)
    expect(memberships.filter((m) => m.session === 'crowd').map((m) => m.node).sort()).toEqual(agents.map((a) => a.nodeId).sort());

    // And a runtime join is acknowledged only once stored.
    await agents[0]!.join('second');
    expect(hub.membership.membersOf('second')).toEqual(['node-0']);
  });
});
