// One slow node delays nobody: four node agents in a session, one behind a
// 1 MiB/s link. A 64 MiB push completes on the three fast nodes while the slow
// one is still near the start; once its link is fast it finishes with the
// same bytes. While it crawls, the hub holds a bounded window of its data.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTestFile } from '../../../bench/lib/data.js';
import { eventually, killAll } from '../../support/processes.js';
import { CHUNK_SIZE, MiB, nodeStatus, partSize, runningTransferId, sha256File, startMesh, waitForFile } from './helpers.js';

afterAll(killAll);

const SIZE = 64 * MiB;
const SLOW_RATE = 1 * MiB;
/** The node's HTTP/2 receive window (hub-client.ts): bytes the hub may have on the wire unacknowledged. */
const WINDOW = 16 * MiB;

it('a 64 MiB push completes on three fast nodes while a 1 MiB/s node is far from done', async () => {
  const mesh = await startMesh();
  let sampling = true;
  try {
    const file = await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 7);
    await Promise.all([
      ...['fast1', 'fast2', 'fast3'].map((id) => mesh.startNode({ id, sessions: ['s'] })),
      mesh.startNode({ id: 'slow', sessions: ['s'], rate: SLOW_RATE }),
    ]);

    const started = Date.now();
    const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
    push.catch(() => {}); // awaited below; a failure before then must not go unhandled
    const transferId = await runningTransferId(mesh.hub, 's');

    // Sample how far ahead of the slow node's verified bytes the hub has put
    // data on the wire: bounded by the flow-control window, not by the file.
    let maxAhead = 0;
    const sampler = (async () => {
      while (sampling) {
        const n = await nodeStatus(mesh.hub, transferId, 'slow').catch(() => undefined);
        if (n && n.state === 'pending') maxAhead = Math.max(maxAhead, n.sentBytes - n.bytes);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    for (const id of ['fast1', 'fast2', 'fast3']) await waitForFile(mesh.nodeFile(id, 's', 'big.bin'), file.sha256, 40_000);
    const fastMs = Date.now() - started;
    const slowTarget = mesh.nodeFile('slow', 's', 'big.bin');
    const slowPart = await partSize(slowTarget);
    const slowReported = (await nodeStatus(mesh.hub, transferId, 'slow'))?.bytes ?? 0;
    expect(await sha256File(slowTarget)).toBeUndefined();
    expect(slowPart).toBeLessThan(SIZE * 0.25);
    expect(slowReported).toBeLessThan(SIZE * 0.25);

    // Let the slow node crawl a little longer so the hub has had every chance
    // to queue the rest of the file for it, then check the window.
    await new Promise((r) => setTimeout(r, 2_000));
    sampling = false;
    await sampler;
    expect(maxAhead).toBeGreaterThan(0);
    expect(maxAhead).toBeLessThanOrEqual(WINDOW + 2 * CHUNK_SIZE);

    mesh.proxies.get('slow')!.setRate(Infinity);
    await waitForFile(slowTarget, file.sha256, 30_000);
    const result = await push;
    expect(result.outcomes.map((o: any) => [o.node, o.status, o.sha256])).toEqual(
      ['fast1', 'fast2', 'fast3', 'slow'].map((n) => [n, 'ok', file.sha256]),
    );
    // No part file is left behind on any node.
    expect(await eventually(async () => (await partSize(slowTarget)) === 0, 5_000)).toBe(true);
    console.log(`fast nodes done in ${fastMs} ms; slow node had ${slowPart} bytes then; max sent-verified ${maxAhead}`);
  } finally {
    sampling = false;
    await mesh.close();
  }
}, 90_000);
