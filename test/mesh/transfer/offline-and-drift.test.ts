// A member that is offline when a file is written receives it when it comes
// back, even if the hub restarted in between (the pending delivery is in the
// store). A copy changed or deleted by hand on a node is drift: repaired from
// the mirror by default, only reported with --drift report.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, killAll } from '../../support/processes.js';
import { logLines, startMesh, type Mesh } from './helpers.js';

afterAll(killAll);

const read = (file: string) => readFile(file, 'utf8').catch(() => undefined);

/** Resolve once `file` holds exactly `content`. */
const waitForContent = (file: string, content: string, timeoutMs = 20_000) =>
  eventually(async () => (await read(file)) === content, timeoutMs, 100);

/** Kill a node and wait until the hub has seen it go. */
async function takeOffline(mesh: Mesh, id: string): Promise<void> {
  const before = mesh.hub.count(new RegExp(`"node":"${id}".*"msg":"node detached"`));
  await mesh.nodes.get(id)!.kill('SIGKILL');
  await eventually(() => mesh.hub.count(new RegExp(`"node":"${id}".*"msg":"node detached"`)) > before, 10_000);
}

describe('offline members', () => {
  it('receive a write when they come back, also after a hub restart in between', async () => {
    const mesh = await startMesh();
    try {
      await Promise.all(['on', 'off'].map((id) => mesh.startNode({ id, sessions: ['s'] })));
      await takeOffline(mesh, 'off');

      const first = await mesh.hub.call({ op: 'write', session: 's', path: 'notes/first.txt', content: 'written while off was away\n' });
      expect(first.outcomes.map((o: any) => [o.node, o.status])).toEqual([
        ['off', 'offline'],
        ['on', 'ok'],
      ]);
      expect(await read(mesh.nodeFile('on', 's', 'notes/first.txt'))).toBe('written while off was away\n');
      expect(await read(mesh.nodeFile('off', 's', 'notes/first.txt'))).toBeUndefined();
      await mesh.startNode({ id: 'off', sessions: ['s'] });
      await waitForContent(mesh.nodeFile('off', 's', 'notes/first.txt'), 'written while off was away\n');
      // The node replies once the file is in its index, a moment after the file lands: killed before, its
      // delivery stays pending (and is counted after the restart below).
      await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 10_000);

      // Offline again; the hub crashes after the write and comes back.
      await takeOffline(mesh, 'off');
      const second = await mesh.hub.call({ op: 'write', session: 's', path: 'second.txt', content: 'survives a hub crash\n' });
      expect(second.outcomes.find((o: any) => o.node === 'off').status).toBe('offline');
      await mesh.hub.kill('SIGKILL');
      const hub = await mesh.startHub();
      await hub.waitFor(/"msg":"state restored from the store"/);
      expect(JSON.parse(hub.lines.find((l) => l.includes('state restored'))!).pendingTransfers).toBe(1);
      await mesh.startNode({ id: 'off', sessions: [] }); // memberships come from the store
      await waitForContent(mesh.nodeFile('off', 's', 'second.txt'), 'survives a hub crash\n');
      await eventually(async () => (await hub.call({ op: 'status' })).transfers.length === 0, 10_000);
    } finally {
      await mesh.close();
    }
  }, 60_000);
});

function driftLines(mesh: Mesh, kind: string, rel: string): Array<Record<string, any>> {
  return mesh.hub.lines
    .filter((l) => l.includes('"event":"drift"'))
    .map((l) => JSON.parse(l))
    .filter((e) => e.kind === kind && e.path === rel);
}

describe('drift', () => {
  it('a file changed or deleted by hand on a node is detected and repaired from the mirror', async () => {
    const mesh = await startMesh();
    try {
      await mesh.startNode({ id: 'n1', sessions: ['s'] });
      for (const [p, content] of [['a.txt', 'mirror copy of a\n'], ['dir/b.txt', 'mirror copy of b\n']]) {
        const r = await mesh.hub.call({ op: 'write', session: 's', path: p, content });
        expect(r.outcomes[0].status).toBe('ok');
      }
      // Let a few rescans pass: a delivery by the mesh itself is not drift.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(mesh.hub.lines.filter((l) => l.includes('"event":"drift"'))).toEqual([]);

      const a = mesh.nodeFile('n1', 's', 'a.txt');
      await writeFile(a, 'changed by hand on the node, and longer\n');
      const changed = await eventually(() => driftLines(mesh, 'changed', 'a.txt')[0], 15_000);
      expect(changed).toMatchObject({ node: 'n1', session: 's', action: 'repairing' });
      await waitForContent(a, 'mirror copy of a\n');

      const b = mesh.nodeFile('n1', 's', 'dir/b.txt');
      await rm(b);
      const missing = await eventually(() => driftLines(mesh, 'missing', 'dir/b.txt')[0], 15_000);
      expect(missing).toMatchObject({ node: 'n1', session: 's', action: 'repairing' });
      await waitForContent(b, 'mirror copy of b\n');

      // Repaired means settled: no further drift for either file.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(driftLines(mesh, 'changed', 'a.txt')).toHaveLength(1);
      expect(driftLines(mesh, 'missing', 'dir/b.txt')).toHaveLength(1);
      expect(logLines(mesh.hub, 'transfer created').filter((l) => l.kind === 'repair')).toHaveLength(2);
    } finally {
      await mesh.close();
    }
  }, 60_000);

  it('with --drift report a changed file is reported and left as it is', async () => {
    const mesh = await startMesh({ hubArgs: ['--drift', 'report'] });
    try {
      await mesh.startNode({ id: 'n1', sessions: ['s'] });
      const r = await mesh.hub.call({ op: 'write', session: 's', path: 'a.txt', content: 'mirror copy of a\n' });
      expect(r.outcomes[0].status).toBe('ok');
      const a = mesh.nodeFile('n1', 's', 'a.txt');
      await writeFile(a, 'changed by hand, to be kept\n');
      const changed = await eventually(() => driftLines(mesh, 'changed', 'a.txt')[0], 15_000);
      expect(changed).toMatchObject({ node: 'n1', session: 's', action: 'reported' });
      // Several rescans later the node's copy is still the hand-made one.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await read(a)).toBe('changed by hand, to be kept\n');
      expect(logLines(mesh.hub, 'transfer created').filter((l) => l.kind === 'repair')).toEqual([]);
      const status = await mesh.hub.call({ op: 'status' });
      expect(status.drift.some((e: any) => e.path === 'a.txt' && e.kind === 'changed' && e.action === 'reported')).toBe(true);
    } finally {
      await mesh.close();
    }
  }, 60_000);
});
