// 1,000 writes delivered to a node that verifies its copy all the time (a
// scan every 20 ms, besides its watcher): not one false drift report. A
// delivery is recorded in the node's index before its reply, and every later
// report follows it on the ordered stream, so no older scan can contradict a
// delivery the hub confirmed.
import { afterEach, expect, it } from 'vitest';
import { startInProcessMesh, type InProcessMesh } from '../../support/in-process-mesh.js';
import { eventually } from '../../support/processes.js';

const WRITES = 1_000;
const pathOf = (i: number) => `w/${i % 40}/f${i}.txt`;

let mesh: InProcessMesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

it('1,000 writes racing verification scans produce no drift report', async () => {
  mesh = await startInProcessMesh();
  const { hub } = mesh;
  await mesh.attach({ nodeId: 'busy', scanIntervalMs: 20, scanShare: 1,
    // A scan's result reaches the hub a while after the scan looked: deliveries land in between.
    afterFolderScan: () => new Promise((r) => setTimeout(r, 15)),
  });
  let next = 0;
  const writer = async () => {
    // Each path written twice in a row: a scan that saw the first version must not be taken for the node's copy
    // once the hub has confirmed the second.
    for (let i = next++; i < WRITES / 2; i = next++) {
      for (const round of [0, 1]) {
        const w = await hub.write('s', pathOf(i), Buffer.from(`content ${i}.${round}\n`));
        expect(w.outcomes).toEqual([expect.objectContaining({ node: 'busy', status: 'ok' })]);
      }
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  // Every report the node makes of those writes has been taken in and checked.
  const files = WRITES / 2;
  await eventually(() => hub.status().manifests[0]?.files === files && hub.manifests.queued('busy', 's') === 0, 20_000);
  expect(hub.drift.events).toEqual([]);
}, 180_000);
