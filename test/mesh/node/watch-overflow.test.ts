// A watcher can lose events (a full kernel queue). A node whose watcher loses
// every event still converges: its verification scan finds the change, and
// an overflow makes it scan at once. The hub (real gRPC, real store) repairs
// the file from the mirror either way.
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import type { Hub } from '../../../src/mesh/hub/hub.js';
import type { NodeAgent, NodeAgentOptions } from '../../../src/mesh/node/agent.js';
import { startInProcessMesh, type InProcessMesh } from '../../support/in-process-mesh.js';
import { eventually } from '../../support/processes.js';

let mesh: InProcessMesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

async function meshWith(agentOptions: Partial<NodeAgentOptions>): Promise<{ hub: Hub; agent: NodeAgent; file: (rel: string) => string }> {
  mesh = await startInProcessMesh();
  const agent = await mesh.attach(agentOptions);
  return { hub: mesh.hub, agent, file: mesh.nodeFile };
}

const content = (file: string) => readFile(file, 'utf8').catch(() => undefined);

it('a watcher that loses every event converges at the next verification scan', async () => {
  // Every event is lost, the delivery's too: the delivery is recorded by the node as it lands, the edit only by a scan.
  const { hub, file } = await meshWith({ scanIntervalMs: 1_500, dropWatchEvent: () => true });
  expect((await hub.write('s', 'dir/a.txt', Buffer.from('mirror copy\n'))).outcomes[0].status).toBe('ok');
  await writeFile(file('dir/a.txt'), 'edited by hand, events lost\n');
  await eventually(async () => (await content(file('dir/a.txt'))) === 'mirror copy\n', 15_000);
  expect(hub.drift.events).toEqual([expect.objectContaining({ node: 'n1', path: 'dir/a.txt', kind: 'changed', action: 'repairing' })]);
}, 30_000);

it('an overflow makes the node scan its copy at once', async () => {
  // No periodic scan, every event lost: only the overflow can find the change.
  const { hub, agent, file } = await meshWith({ scanIntervalMs: 0, dropWatchEvent: () => true });
  expect((await hub.write('s', 'dir/a.txt', Buffer.from('mirror copy\n'))).outcomes[0].status).toBe('ok');
  await writeFile(file('dir/a.txt'), 'edited by hand, events lost\n');
  await writeFile(file('dir/new.txt'), 'made by hand\n');
  agent.reporter.watcherOverflowed('s', undefined, 'simulated overflow');
  await eventually(async () => (await content(file('dir/a.txt'))) === 'mirror copy\n', 15_000);
  await eventually(() => hub.drift.events.some((e) => e.path === 'dir/new.txt' && e.kind === 'extra'), 10_000);
  expect(hub.status().manifests).toEqual([expect.objectContaining({ node: 'n1', session: 's', files: 2 })]);
}, 30_000);
