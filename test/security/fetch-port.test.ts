// Attacks on the fetch port (the worker's second gRPC listener, serving only
// Fetch): every rule of the main port holds there, because the worker asks
// the main thread for each of them. No or a wrong credential, another node's
// id, a transfer not addressed to the node, the per-node stream limit (both
// ports counted together), a revocation and a cancel of a running stream.
import type * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Chunk, FetchRequest, HubFrame, NodeFrame } from '../../src/mesh/protocol/frames.js';
import { callMetadata, createHubClient } from '../../src/mesh/node/hub-client.js';
import { eventually } from '../support/processes.js';
import { MiB, runningTransferId, waitFullyStaged, type Mesh } from '../mesh/transfer/helpers.js';
import { attackFixture } from './fixture.js';
import { mint, tokenCli } from './operator.js';

const fixture = attackFixture();

/** A raw Fetch on `port` with the metadata given; resolves with the status it ended with, or 'data' at its first message. */
function rawFetch(port: number, transferId: string, md: grpc.Metadata): Promise<{ code: number; details: string } | 'data'> {
  const client = createHubClient({ hub: `127.0.0.1:${port}`, nodeId: 'x' });
  const stream = (client as unknown as { Fetch(r: FetchRequest, md: grpc.Metadata): grpc.ClientReadableStream<Chunk> }).Fetch({ transferId, fromChunk: 0 }, md);
  return new Promise<{ code: number; details: string } | 'data'>((resolve) => {
    stream.once('data', () => resolve('data'));
    stream.once('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.once('end', () => resolve({ code: -1, details: 'ended' }));
  }).finally(() => {
    stream.removeAllListeners('error');
    stream.on('error', () => {});
    stream.cancel();
    client.close();
  });
}

/** A node `id` enrolled with a minted token for session s; returns its own credential. */
async function enrolled(mesh: Mesh, id: string): Promise<string> {
  const token = await mint(mesh.dataDir, 's', id);
  const h = fixture.hostile({ port: mesh.port, nodeId: id, token, sessions: ['s'] });
  const welcome = await h.waitFrame('welcome');
  expect(welcome.welcome.fetchPort).toBe(mesh.fetchPort);
  return welcome.welcome.credential || token;
}

async function stagedPush(mesh: Mesh, size: number, staged = true): Promise<string> {
  await writeFile(path.join(mesh.sourceDir, 'big.bin'), randomBytes(size));
  mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' }).catch(() => {});
  const transferId = await runningTransferId(mesh.hub, 's');
  if (staged) await waitFullyStaged(mesh.hub, transferId);
  return transferId;
}

/**
 * A push staged slowly (so its stream stays open, waiting for chunks; a stream that is not read is all buffered
 * by the client) and node n1's Fetch of it on the fetch port, once its first piece came.
 */
async function runningFetchOnFetchPort(): Promise<{ mesh: Mesh; got: Promise<Chunk[]> }> {
  const mesh = await fixture.mesh({ hubEnv: { MESH_FAULTS: 'slow-source=1000' } });
  const credential = await enrolled(mesh, 'n1');
  const transferId = await stagedPush(mesh, 32 * MiB, false);
  const h = fixture.hostile({ port: mesh.port, fetchPort: mesh.fetchPort, nodeId: 'n1', token: credential });
  let pieces = 0;
  const got = h.fetchAll({ transferId, fromChunk: 0 }, () => pieces++);
  got.catch(() => {});
  await eventually(() => pieces > 0, 15_000);
  return { mesh, got };
}

it('refuses a Fetch on the fetch port without a valid credential for the id it names, and serves no Attach there', async () => {
  const mesh = await fixture.mesh();
  const credential = await enrolled(mesh, 'n1');
  await enrolled(mesh, 'n2');
  const transferId = await stagedPush(mesh, 8 * MiB);

  const noToken = new (await import('@grpc/grpc-js')).Metadata();
  noToken.set('x-mesh-node', 'n1');
  expect(await rawFetch(mesh.fetchPort, transferId, noToken)).toMatchObject({ code: 16, details: expect.stringContaining('UNAUTHENTICATED') });
  expect(await rawFetch(mesh.fetchPort, transferId, callMetadata('n1', 'mesh_wrong_token'))).toMatchObject({ code: 16 });
  // n1's credential, presented as n2.
  expect(await rawFetch(mesh.fetchPort, transferId, callMetadata('n2', credential))).toMatchObject({ code: 16 });
  // The same credential as itself is served (the control case).
  expect(await rawFetch(mesh.fetchPort, transferId, callMetadata('n1', credential))).toBe('data');

  const client = createHubClient({ hub: `127.0.0.1:${mesh.fetchPort}`, nodeId: 'n1' });
  const attach = (client as unknown as { Attach(md: grpc.Metadata): grpc.ClientDuplexStream<NodeFrame, HubFrame> }).Attach(callMetadata('n1', credential));
  const status = await new Promise<grpc.ServiceError>((resolve) => attach.on('error', resolve));
  expect(status.code).toBe(12 /* UNIMPLEMENTED */);
  client.close();
}, 60_000);

it('refuses on the fetch port a transfer not addressed to the node', async () => {
  const mesh = await fixture.mesh();
  const credential = await enrolled(mesh, 'n1');
  // A session n1 is not a member of.
  await mesh.hub.call({ op: 'write', session: 'other', path: 'x.txt', content: 'x\n' });
  const other = await mint(mesh.dataDir, 'other', 'o1');
  fixture.hostile({ port: mesh.port, nodeId: 'o1', token: other, sessions: ['other'] });
  await eventually(async () => (await mesh.hub.call({ op: 'status' })).online.includes('o1'));
  await writeFile(path.join(mesh.sourceDir, 'o.bin'), randomBytes(8 * MiB));
  mesh.hub.send({ op: 'push', session: 'other', source: 'o.bin' }).catch(() => {});
  const transferId = await runningTransferId(mesh.hub, 'other');
  expect(await rawFetch(mesh.fetchPort, transferId, callMetadata('n1', credential))).toMatchObject({
    code: 5,
    details: expect.stringContaining('TRANSFER_NOT_FOUND'),
  });
}, 60_000);

it('counts the Fetch streams of both ports against one per-node limit', async () => {
  // Slow staging keeps every stream open, waiting for the next chunk.
  const mesh = await fixture.mesh({ hubEnv: { MESH_FAULTS: 'slow-source=1000' } });
  const credential = await enrolled(mesh, 'staller');
  const transferId = await stagedPush(mesh, 32 * MiB, false);
  const refused: string[] = [];
  const onMain = fixture.hostile({ port: mesh.port, nodeId: 'staller', token: credential });
  const onFetch = fixture.hostile({ port: mesh.port, fetchPort: mesh.fetchPort, nodeId: 'staller', token: credential });
  const started: grpc.ClientReadableStream<Chunk>[] = [];
  /** Streams that were refused or got data ('readable' also fires for a refused one). */
  const settled = new Set<grpc.ClientReadableStream<Chunk>>();
  const open = (h: typeof onMain) => {
    const s = h.fetchPaused(transferId);
    s.on('error', (err: grpc.ServiceError) => {
      refused.push(`${started.indexOf(s)}:${err.details}`);
      settled.add(s);
    });
    s.once('readable', () => settled.add(s));
    started.push(s);
    return s;
  };
  // Two on the main port, admitted (their first pieces arrive) before three on the fetch port: 5 > 4.
  for (let i = 0; i < 2; i++) {
    const s = open(onMain);
    await new Promise((resolve) => s.once('readable', resolve));
  }
  for (let i = 0; i < 3; i++) open(onFetch);
  // Every stream ends up either refused or sending.
  await eventually(() => settled.size === started.length, 15_000);
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatch(/^[234]:LIMIT_EXCEEDED/);
}, 60_000);

it('ends a running stream on the fetch port when its credential is revoked', async () => {
  const { mesh, got } = await runningFetchOnFetchPort();
  const id = (await tokenCli(mesh.dataDir, 'list')).split('\n').find((l) => l.includes('\tn1\t'))!.split('\t')[0]!;
  await tokenCli(mesh.dataDir, 'revoke', id);
  await mesh.hub.waitFor((l) => l.includes('credential revoked; closing the stream') && l.includes('"call":"fetch"'), 5_000);
  await expect(got).rejects.toMatchObject({ code: 16, details: expect.stringContaining('revoked') });
}, 60_000);

it('ends a running stream on the fetch port when its push is cancelled, before the node has answered the cancel', async () => {
  // Fully staged: nothing but the cancel can end the stream before its last chunk.
  const mesh = await fixture.mesh();
  // One connection for the control stream and the fetch port (a second attach of n1 would replace the first).
  const h = fixture.hostile({ port: mesh.port, fetchPort: mesh.fetchPort, nodeId: 'n1', token: await mint(mesh.dataDir, 's', 'n1'), sessions: ['s'] });
  await h.waitFrame('welcome');
  const transferId = await stagedPush(mesh, 32 * MiB);
  // Paused: HTTP/2 flow control holds the hub's pump a few pieces in.
  const stream = h.fetchPaused(transferId);
  const outcome = new Promise<string>((resolve) => {
    stream.on('error', (err: grpc.ServiceError) => resolve(`error: ${err.details}`));
    stream.on('end', () => resolve('completed'));
  });
  await new Promise((resolve) => stream.once('readable', resolve));
  await mesh.hub.call({ op: 'cancel', pushId: 1 }); // aborts the push call; the hub's cancel goes on behind it
  // The hub tells the node to drop its part file; this node never answers, and the hub waits 15 s for it.
  await eventually(() => h.frames.some((f) => f.kind === 'request' && JSON.stringify(f.request).includes('"cancel"')), 10_000);
  stream.resume();
  // The stream must end while the hub still waits for that answer: well inside those 15 s.
  const nodeStillAsked = new Promise<string>((resolve) => setTimeout(() => resolve('still running when the hub stopped waiting for the node'), 10_000).unref());
  expect(await Promise.race([outcome, nodeStillAsked])).toMatch(/^error: .*was cancelled/);
}, 60_000);

it('ends a running stream on the fetch port at the next chunk once its session is ungranted', async () => {
  const { mesh, got } = await runningFetchOnFetchPort();
  await tokenCli(mesh.dataDir, 'ungrant', 'n1', 's');
  await expect(got).rejects.toMatchObject({ code: 5, details: expect.stringContaining('TRANSFER_NOT_FOUND') });
}, 60_000);
