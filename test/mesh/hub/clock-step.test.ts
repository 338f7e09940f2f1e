// A wall-clock step backwards (NTP, `date -s`, a resumed VM) between two
// writes of one path must not make the older write win: last writer wins by
// the order the hub took them in, not by their wall-clock times.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { Hub } from '../../../src/mesh/hub/hub.js';
import { NodeAgent } from '../../../src/mesh/node/agent.js';
import { tempDir } from '../../support/processes.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function attached(agent: NodeAgent): Promise<void> {
  return new Promise<void>((resolve) => {
    agent.once('attached', () => resolve());
    void agent.start();
  });
}

it('the later of two writes to an offline node wins although the clock stepped back between them', async () => {
  const tmp = await tempDir();
  cleanups.push(tmp.cleanup);
  // Drift in report mode: a repair from the mirror must not hide which delivery landed last.
  const hub = await Hub.start({ dataDir: path.join(tmp.dir, 'hub'), grpcAddress: '127.0.0.1:0', nodeTokens: ['t'], sourceRoots: [], driftMode: 'report', autoPromote: false, log: silentLogger });
  cleanups.push(() => hub.stop());
  const workspace = path.join(tmp.dir, 'ws');
  const first = new NodeAgent({ hub: hub.grpcAddress, nodeId: 'n1', token: 't', workspace, sessions: ['s'] });
  await attached(first);
  await first.stop();
  await vi.waitFor(() => expect(hub.registry.get('n1')).toBeUndefined(), { timeout: 10_000 });

  const older = await hub.write('s', 'f.txt', Buffer.from('older\n'), 0);
  const now = Date.now();
  vi.spyOn(Date, 'now').mockImplementation(() => now - 3_600_000);
  const newer = await hub.write('s', 'f.txt', Buffer.from('newer\n'), 0);
  expect([older.outcomes[0]?.status, newer.outcomes[0]?.status]).toEqual(['offline', 'offline']);

  const again = new NodeAgent({ hub: hub.grpcAddress, nodeId: 'n1', token: 't', workspace, sessions: ['s'] });
  cleanups.push(() => again.stop());
  await attached(again);
  await vi.waitFor(() => expect(hub.transfers.pendingPaths('n1', 's').size).toBe(0), { timeout: 20_000, interval: 20 });
  expect(await readFile(path.join(workspace, 'sessions', 's', 'f.txt'), 'utf8')).toBe('newer\n');
}, 60_000);
