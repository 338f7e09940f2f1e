// Sessions are isolated on the file plane: a node in session A only never
// receives B's writes or pushes, cannot list or read B through the hub, and
// cannot pull a B transfer over Fetch even when it knows the transfer id.
import type * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Chunk, FetchRequest } from '../../../src/mesh/protocol/frames.js';
import { loadCredential } from '../../../src/mesh/node/credential-file.js';
import { callMetadata, createHubClient } from '../../../src/mesh/node/hub-client.js';
import { killAll } from '../../support/processes.js';
import { MiB, runningTransferId, sha256File, startMesh, waitForFile, type Mesh } from './helpers.js';

afterAll(killAll);

type FetchResult = { ok: true; first: Chunk } | { ok: false; code: number; details: string };

/** Open a raw Fetch as `nodeId`, with that node's own credential; resolve with its first chunk or its error, then cancel it. */
async function rawFetch(mesh: Mesh, nodeId: string, transferId: string): Promise<FetchResult> {
  const token = await loadCredential(mesh.workspace(nodeId), nodeId);
  const client = createHubClient({ hub: `127.0.0.1:${mesh.port}`, nodeId });
  const stream = (client as unknown as { Fetch(r: FetchRequest, md: grpc.Metadata): grpc.ClientReadableStream<Chunk> }).Fetch(
    { transferId, fromChunk: 0 },
    callMetadata(nodeId, token),
  );
  let timer: NodeJS.Timeout | undefined;
  return new Promise<FetchResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: -1, details: 'no answer within 10 s' }), 10_000);
    stream.once('data', (first: Chunk) => resolve({ ok: true, first }));
    stream.once('error', (err: grpc.ServiceError) => resolve({ ok: false, code: err.code, details: err.details }));
    stream.once('end', () => resolve({ ok: false, code: -1, details: 'ended without data' }));
  }).finally(() => {
    clearTimeout(timer);
    stream.removeAllListeners('error');
    stream.on('error', () => {}); // the cancel below surfaces as CANCELLED
    stream.cancel();
    client.close();
  });
}

/** Session folders present in a node's workspace. */
const sessionsOn = (mesh: Mesh, id: string) => readdir(path.join(mesh.workspace(id), 'sessions')).then((d) => d.sort());

it('a node of session A never receives, lists, reads or fetches anything of session B', async () => {
  const mesh = await startMesh();
  try {
    await Promise.all([
      mesh.startNode({ id: 'a1', sessions: ['A'] }),
      mesh.startNode({ id: 'ab', sessions: ['A', 'B'] }),
      // Slow, so the B push below is still running while we try to steal it.
      mesh.startNode({ id: 'b1', sessions: ['B'], rate: 1 * MiB }),
    ]);

    const w = await mesh.hub.call({ op: 'write', session: 'B', path: 'secret.txt', content: 'for B only\n' });
    expect(w.outcomes.map((o: any) => [o.node, o.status])).toEqual([
      ['ab', 'ok'],
      ['b1', 'ok'],
    ]);
    const wa = await mesh.hub.call({ op: 'write', session: 'A', path: 'shared.txt', content: 'for A\n' });
    expect(wa.outcomes.map((o: any) => o.node)).toEqual(['a1', 'ab']);

    const source = path.join(mesh.sourceDir, 'b.bin');
    await writeFile(source, randomBytes(16 * MiB));
    const sha256 = (await sha256File(source))!;
    const push = mesh.hub.send({ op: 'push', session: 'B', source: 'b.bin' });
    push.catch(() => {});
    const transferId = await runningTransferId(mesh.hub, 'B');

    // ls and cat of B naming the A-only node are refused by the hub.
    for (const cmd of [
      { op: 'ls', session: 'B', path: '.', node: 'a1' },
      { op: 'cat', session: 'B', path: 'secret.txt', node: 'a1' },
    ]) {
      await expect(mesh.hub.call(cmd)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    }

    // Fetch of the running B transfer: refused for a1, served to b1.
    const stolen = await rawFetch(mesh, 'a1', transferId);
    expect(stolen).toMatchObject({ ok: false, code: 5 /* NOT_FOUND */ });
    expect((stolen as { details: string }).details).toContain('TRANSFER_NOT_FOUND');
    const allowed = await rawFetch(mesh, 'b1', transferId);
    expect(allowed.ok).toBe(true);
    expect(allowed.ok && allowed.first.index).toBe(0);

    mesh.proxies.get('b1')!.setRate(Infinity);
    const result = await push;
    expect(result.outcomes.map((o: any) => [o.node, o.status])).toEqual([
      ['ab', 'ok'],
      ['b1', 'ok'],
    ]);
    await waitForFile(mesh.nodeFile('b1', 'B', 'b.bin'), sha256);

    // Nothing of B ever reached a1's workspace, nothing of A reached b1's.
    expect(await sessionsOn(mesh, 'a1')).toEqual(['A']);
    expect(await readdir(path.join(mesh.workspace('a1'), 'sessions', 'A'))).toEqual(['shared.txt']);
    expect(await sessionsOn(mesh, 'b1')).toEqual(['B']);
    expect(await sessionsOn(mesh, 'ab')).toEqual(['A', 'B']);
  } finally {
    await mesh.close();
  }
}, 60_000);
