// Attacks on the fetch port (the worker's listener speaking the data wire,
// serving only Fetch): every rule of the main port holds there, because the
// worker asks the main thread for each of them. No or a wrong credential,
// another node's id, a transfer not addressed to the node, the per-node
// stream limit (both ports counted together), a revocation and a cancel of a
// running stream; and bytes that are not a request get nothing at all.
import type * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { MAX_PENDING_PER_ADDRESS } from '../../src/mesh/hub/data-server.js';
import { DATA_MAGIC, MAX_REQUEST_BYTES, type DataRequest } from '../../src/mesh/protocol/data-wire.js';
import type { Chunk, HubFrame, NodeFrame } from '../../src/mesh/protocol/frames.js';
import { callMetadata, createHubClient } from '../../src/mesh/node/hub-client.js';
import { dataWireStream } from '../support/data-wire-stream.js';
import { eventually } from '../support/processes.js';
import type { FetchStream } from './hostile-node.js';
import { MiB, runningTransferId, waitFullyStaged, type Mesh } from '../mesh/transfer/helpers.js';
import { attackFixture } from './fixture.js';
import { mint, tokenCli } from './operator.js';

const fixture = attackFixture();

/** A raw Fetch on the fetch port with the credentials given; resolves with the status it ended with, or 'data' at its first message. */
function rawFetch(port: number, transferId: string, credentials: Pick<DataRequest, 'authorization' | 'node'>): Promise<{ code: number; details: string } | 'data'> {
  const stream = dataWireStream(port, { ...credentials, transferId, fromChunk: 0, maxPieceBytes: 0 });
  return new Promise<{ code: number; details: string } | 'data'>((resolve) => {
    stream.once('data', () => resolve('data'));
    stream.once('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
    stream.once('end', () => resolve({ code: -1, details: 'ended' }));
  }).finally(() => {
    stream.removeAllListeners('error');
    stream.on('error', () => {});
    stream.cancel();
  });
}

const as = (node: string, token: string) => ({ node, authorization: `Bearer ${token}` });

/** Send `bytes` to `port`; resolves with what came back before the hub closed the connection. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(got)));
  });
}

/** A node `id` enrolled with a minted token for session s; returns its own credential. */
async function enrolled(mesh: Mesh, id: string): Promise<string> {
  const token = await mint(mesh.dataDir, 's', id);
  const h = fixture.hostile({ port: mesh.port, nodeId: id, token, sessions: ['s'] });
  const welcome = await h.waitFrame('welcome');
  expect(welcome.welcome.dataPort).toBe(mesh.fetchPort);
  // Nodes that read only the old field (a gRPC fetch port) are told none: they fetch on the main port.
  expect(welcome.welcome.fetchPort).toBe(0);
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

it('refuses a Fetch on the fetch port without a valid credential for the id it names, and serves no gRPC there', async () => {
  const mesh = await fixture.mesh();
  const credential = await enrolled(mesh, 'n1');
  await enrolled(mesh, 'n2');
  const transferId = await stagedPush(mesh, 8 * MiB);

  expect(await rawFetch(mesh.fetchPort, transferId, { node: 'n1' })).toMatchObject({ code: 16, details: expect.stringContaining('UNAUTHENTICATED') });
  expect(await rawFetch(mesh.fetchPort, transferId, as('n1', 'mesh_wrong_token'))).toMatchObject({ code: 16 });
  // n1's credential, presented as n2.
  expect(await rawFetch(mesh.fetchPort, transferId, as('n2', credential))).toMatchObject({ code: 16 });
  // The same credential as itself is served (the control case).
  expect(await rawFetch(mesh.fetchPort, transferId, as('n1', credential))).toBe('data');

  // Nothing there speaks gRPC (an Attach gets no control stream), and bytes that are not a request get no byte back.
  const client = createHubClient({ hub: `127.0.0.1:${mesh.fetchPort}`, nodeId: 'n1' });
  const attach = (client as unknown as { Attach(md: grpc.Metadata): grpc.ClientDuplexStream<NodeFrame, HubFrame> }).Attach(callMetadata('n1', credential));
  const status = await new Promise<grpc.ServiceError>((resolve) => attach.on('error', resolve));
  expect(status.code).toBe(14 /* UNAVAILABLE */);
  client.close();
  const head = (length: number) => Buffer.concat([DATA_MAGIC, Buffer.from([length >>> 24, (length >>> 16) & 255, (length >>> 8) & 255, length & 255])]);
  expect(await exchange(mesh.fetchPort, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'))).toHaveLength(0);
  // A length past the limit is refused at its head, before any body is waited for.
  expect(await exchange(mesh.fetchPort, head(0xffffffff))).toHaveLength(0);
  expect(await exchange(mesh.fetchPort, head(MAX_REQUEST_BYTES + 1))).toHaveLength(0);
  expect(await exchange(mesh.fetchPort, Buffer.concat([head(2), Buffer.from('[]')]))).toHaveLength(0);
  // A request with bytes after it.
  const ok = Buffer.from(JSON.stringify({ ...as('n1', credential), transferId, fromChunk: 0 }));
  expect(await exchange(mesh.fetchPort, Buffer.concat([head(ok.length), ok, Buffer.from('x')]))).toHaveLength(0);
  // Fields of the wrong type, with a valid credential: a transfer id whose toString throws, a fractional chunk.
  const hostile = (fields: Record<string, unknown>) => {
    const json = Buffer.from(JSON.stringify({ ...as('n1', credential), ...fields }));
    return exchange(mesh.fetchPort, Buffer.concat([head(json.length), json]));
  };
  for (const fields of [{ transferId: { toString: 0 }, fromChunk: 0 }, { transferId, fromChunk: 1.5 }, { transferId, fromChunk: -1 }]) {
    expect((await hostile(fields)).toString()).toContain('INVALID_ARGUMENT');
  }
  // The hub still serves.
  expect(await rawFetch(mesh.fetchPort, transferId, as('n1', credential))).toBe('data');
}, 60_000);

it('holds at most 32 unanswered connections from one address: the next is closed at once, and other addresses are served', async () => {
  const mesh = await fixture.mesh();
  const credential = await enrolled(mesh, 'n1');
  const transferId = await stagedPush(mesh, 8 * MiB);
  // Silent connections from another loopback address (the whole of 127/8 is this machine).
  const silent: net.Socket[] = [];
  const closedAtOnce = (socket: net.Socket) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2_000);
      socket.once('close', () => (clearTimeout(timer), resolve(true)));
    });
  try {
    for (let i = 0; i < MAX_PENDING_PER_ADDRESS; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: mesh.fetchPort, localAddress: '127.0.0.2' });
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      silent.push(socket);
    }
    const extra = net.connect({ host: '127.0.0.1', port: mesh.fetchPort, localAddress: '127.0.0.2' });
    extra.on('error', () => {});
    expect(await closedAtOnce(extra)).toBe(true);
    // The silent ones are still held (until their 10 s run out), and a node on another address is served meanwhile.
    expect(silent.every((s) => !s.destroyed)).toBe(true);
    expect(await rawFetch(mesh.fetchPort, transferId, as('n1', credential))).toBe('data');
    // Once they go, the address may connect again.
    for (const s of silent) s.destroy();
    await eventually(async () => {
      const again = net.connect({ host: '127.0.0.1', port: mesh.fetchPort, localAddress: '127.0.0.2' });
      again.on('error', () => {});
      const closed = await closedAtOnce(again);
      again.destroy();
      return !closed;
    }, 10_000);
  } finally {
    for (const s of silent) s.destroy();
  }
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
  expect(await rawFetch(mesh.fetchPort, transferId, as('n1', credential))).toMatchObject({
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
  const started: FetchStream[] = [];
  /** Streams that were refused or got data ('readable' also fires for a refused one). */
  const settled = new Set<FetchStream>();
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
  // Paused: TCP holds the hub's pump a few pieces in.
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
