// Attack: a node with a valid credential sends manifests that break the
// sequence rules or the limits: a delta going backwards, one that does not
// follow what the hub holds, frames too large, a copy of 100,001 files. Each
// is refused with a clear error (or a request for a full report), nothing of
// it is kept, and the hub's RSS stays within the attack budget.
import { expect, it } from 'vitest';
import type { HubFrame } from '../../src/mesh/protocol/frames.js';
import { eventually } from '../support/processes.js';
import { MiB } from '../mesh/transfer/helpers.js';
import { rssOf, type HostileNode } from './hostile-node.js';
import { attackFixture } from './fixture.js';
import { mint } from './operator.js';

const fixture = attackFixture();
const EPOCH = '0123456789abcdef';
const SHA = 'b'.repeat(64);
const entry = (path: string) => ({ path, size: 1, mtimeMs: 0, sha256: SHA });

type Ack = Extract<HubFrame, { kind: 'manifestAck' }>['manifestAck'];
const acks = (frames: HubFrame[]): Ack[] => frames.filter((f): f is Extract<HubFrame, { kind: 'manifestAck' }> => f.kind === 'manifestAck').map((f) => f.manifestAck);

async function attached(port: number, dataDir: string, nodeId: string): Promise<HostileNode> {
  const token = await mint(dataDir, 's', nodeId);
  const h = fixture.hostile({ port, nodeId, token, sessions: ['s'] });
  // The hub holds nothing for this node yet: it asks for a full report.
  await eventually(() => acks(h.frames).some((a) => a.full), 10_000);
  return h;
}

it('refuses deltas that go backwards or do not follow the stored sequence', async () => {
  const mesh = await fixture.mesh();
  const h = await attached(mesh.port, mesh.dataDir, 'liar');
  h.send({ manifest: { session: 's', entries: [entry('a.txt')], epoch: EPOCH, seq: 5, page: 0, last: true } });
  await eventually(() => acks(h.frames).some((a) => a.seq === 5 && !a.full), 10_000);

  // Not where the hub is (it holds 5): it asks for a full report instead of applying it.
  h.send({ manifestDelta: { session: 's', epoch: EPOCH, baseSeq: 2, seq: 9, changed: [entry('b.txt')], removed: [] } });
  await eventually(() => acks(h.frames).filter((a) => a.full).length === 2, 10_000);
  // Backwards: refused, and the node is told.
  h.send({ manifest: { session: 's', entries: [], epoch: EPOCH, seq: 5, page: 0, last: true } });
  await eventually(() => acks(h.frames).filter((a) => a.seq === 5 && !a.full).length === 2, 10_000);
  h.send({ manifestDelta: { session: 's', epoch: EPOCH, baseSeq: 5, seq: 4, changed: [entry('c.txt')], removed: [] } });
  const refused = await eventually(() => acks(h.frames).find((a) => a.error?.code), 10_000);
  expect(refused?.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/goes from sequence 5 back to 4/) });
  const held = (await mesh.hub.call({ op: 'status' })).manifests.find((m: any) => m.node === 'liar');
  expect(held).toMatchObject({ seq: 5, files: 0 });
});

it('drops frames past the per-frame limit and malformed epochs, naming the rule', async () => {
  const mesh = await fixture.mesh();
  const h = await attached(mesh.port, mesh.dataDir, 'flooder');
  const before = mesh.hub.lines.length;
  h.send({ manifestDelta: { session: 's', epoch: EPOCH, baseSeq: 0, seq: 1, changed: Array.from({ length: 5_001 }, (_, i) => entry(`f${i}`)), removed: [] } });
  h.send({ manifestDelta: { session: 's', epoch: 'not-hex!', baseSeq: 0, seq: 1, changed: [], removed: [] } });
  await eventually(() => mesh.hub.lines.slice(before).filter((l) => l.includes('manifest delta dropped')).length === 2, 10_000);
  const dropped = mesh.hub.lines.slice(before).filter((l) => l.includes('manifest delta dropped')).map((l) => JSON.parse(l).err as string);
  expect(dropped).toEqual([expect.stringMatching(/holds 5001 entries; the limit is 5000/), expect.stringMatching(/malformed epoch/)]);
});

it('refuses a copy of more than 100,000 files and keeps nothing of it, within the memory budget', async () => {
  const mesh = await fixture.mesh();
  const h = await attached(mesh.port, mesh.dataDir, 'hoarder');
  const pid = mesh.hub.child.pid!;
  const idle = await rssOf(pid);
  let peak = idle;
  const sampler = setInterval(() => void rssOf(pid).then((r) => (peak = Math.max(peak, r)), () => {}), 50);
  try {
    for (let page = 0; page <= 100; page++) {
      const entries = Array.from({ length: 1_000 }, (_, i) => entry(`d/${String(page * 1_000 + i).padStart(7, '0')}`));
      h.send({ manifest: { session: 's', entries: page === 100 ? entries.slice(0, 1) : entries, epoch: EPOCH, seq: 1, page, last: page === 100 } });
    }
    const refused = await eventually(() => acks(h.frames).find((a) => a.error?.code), 60_000);
    expect(refused?.error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/more than 100000 files/) });
  } finally {
    clearInterval(sampler);
  }
  expect(peak - idle).toBeLessThan(64 * MiB);
  expect((await mesh.hub.call({ op: 'status' })).manifests.find((m: any) => m.node === 'hoarder')).toBeUndefined();
}, 90_000);


