// Manifests survive restarts on both sides. A node restarted after a while
// offline tells the hub exactly what changed meanwhile, as deltas from the
// sequence the hub holds (no full report); a hub restarted from its store
// takes deltas from where it was, without asking for the whole manifest.
// Real hub and node processes; observed in the hub's JSON log lines.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually, killAll } from '../../support/processes.js';
import { logLines, startMesh, type Mesh } from '../transfer/helpers.js';

afterAll(killAll);

const held = async (mesh: Mesh, node: string) => ((await mesh.hub.call({ op: 'status' })).manifests as Array<any>).find((m) => m.node === node);

async function populate(mesh: Mesh, files: number): Promise<void> {
  for (let i = 0; i < 3; i++) expect((await mesh.hub.call({ op: 'write', session: 's', path: `m/${i}.txt`, content: `mirror ${i}\n` })).outcomes[0].status).toBe('ok');
  const dir = path.dirname(mesh.nodeFile('n1', 's', 'own/x'));
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(path.join(dir, `${i}.txt`), `own ${i}\n`);
}

it('a node restarted after a while offline reports exactly what changed meanwhile', async () => {
  const mesh = await startMesh({ hubEnv: { MESH_LOG_LEVEL: 'debug' } });
  try {
    await mesh.startNode({ id: 'n1', sessions: ['s'] });
    await populate(mesh, 20);
    await eventually(async () => (await held(mesh, 'n1'))?.files === 23, 15_000);
    const { seq } = await held(mesh, 'n1');
    await mesh.nodes.get('n1')!.kill('SIGKILL');

    // Offline: one file changed, one added, one of its own removed, one the mirror holds removed.
    await writeFile(mesh.nodeFile('n1', 's', 'own/3.txt'), 'changed while offline\n');
    await writeFile(mesh.nodeFile('n1', 's', 'own/new.txt'), 'added while offline\n');
    await rm(mesh.nodeFile('n1', 's', 'own/7.txt'));
    await rm(mesh.nodeFile('n1', 's', 'm/1.txt'));
    const mark = mesh.hub.lines.length;
    await mesh.startNode({ id: 'n1', sessions: ['s'] });

    // The removed mirror file comes back (drift repair); the hub holds the node's copy again.
    const deltas = () => mesh.hub.lines.slice(mark).filter((l) => l.includes('"msg":"manifest delta stored"')).map((l) => JSON.parse(l));
    await eventually(() => deltas().some((d) => d.changed.includes('m/1.txt')), 20_000);
    expect(await held(mesh, 'n1')).toMatchObject({ files: 23 });
    expect(mesh.hub.lines.slice(mark).filter((l) => l.includes('"msg":"manifest stored"'))).toEqual([]); // no full report
    const got = deltas();
    expect(got[0].baseSeq).toBe(seq);
    // Exactly the offline changes, then the repaired file; nothing else.
    expect(got.flatMap((d) => d.removed).sort()).toEqual(['m/1.txt', 'own/7.txt']);
    expect(got.flatMap((d) => d.changed).sort()).toEqual(['m/1.txt', 'own/3.txt', 'own/new.txt']);
    const removedAt = got.findIndex((d) => d.removed.includes('m/1.txt'));
    const repairedAt = got.findIndex((d) => d.changed.includes('m/1.txt'));
    expect(removedAt).toBeLessThan(repairedAt);
  } finally {
    await mesh.close();
  }
}, 90_000);

it('a hub restarted from its store takes deltas from the sequence it held', async () => {
  const mesh = await startMesh({ hubEnv: { MESH_LOG_LEVEL: 'debug' } });
  try {
    const node = await mesh.startNode({ id: 'n1', sessions: ['s'] });
    await populate(mesh, 200);
    await eventually(async () => (await held(mesh, 'n1'))?.files === 203, 15_000);
    const before = await held(mesh, 'n1');
    await mesh.hub.kill('SIGKILL');
    const hub = await mesh.startHub();
    await eventually(() => logLines(node, 'attached').length === 2, 30_000);
    await writeFile(mesh.nodeFile('n1', 's', 'own/5.txt'), 'changed after the hub restarted\n');
    const delta = await eventually(() => logLines(hub, 'manifest delta stored')[0], 15_000);
    expect(delta).toMatchObject({ baseSeq: before.seq, changed: ['own/5.txt'], removed: [], files: 203 });
    expect(logLines(hub, 'manifest stored')).toEqual([]);
    expect(await held(mesh, 'n1')).toMatchObject({ epoch: before.epoch, files: 203 });
  } finally {
    await mesh.close();
  }
}, 90_000);
