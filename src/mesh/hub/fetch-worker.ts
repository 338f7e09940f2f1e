// The fetch worker: a second gRPC server, in a worker thread, that serves
// only Fetch, so the framing and socket writes of bulk data never run on the
// hub's main event loop (where MCP calls and the control streams are
// served). It holds no rule: each call's metadata and request go to the main
// thread, which authenticates and admits it (transfer-serve.ts) and allows
// each chunk; the worker runs the same byte pump as the main port
// (fetch-pump.ts) and reports the bytes it sent. Started by fetch-worker-host.ts.
import * as grpc from '@grpc/grpc-js';
import { parentPort, workerData } from 'node:worker_threads';
import { MeshError, toMeshError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { routeGrpcLogs } from '../../ops/grpc-log.js';
import { SERVER_OPTIONS, meshServiceDefinition } from '../protocol/load.js';
import { BULK_THREAD_NICE, lowerThreadPriority } from '../thread-priority.js';
import type { Chunk } from '../protocol/frames.js';
import { endCallWithError } from '../protocol/status.js';
import { CorruptFault, pumpFetch } from './fetch-pump.js';
import { serverTls } from './grpc-server.js';
import type { FetchWorkerData, MainToWorker, WireError, WorkerToMain } from './fetch-worker-wire.js';
import type { StagedChunk } from './piece-reader.js';

/** Sent bytes are reported at least this often while a stream runs, ms (and at every chunk). */
const REPORT_EVERY_MS = 100;

type FetchCall = grpc.ServerWritableStream<Record<string, unknown>, Chunk>;

interface Stream {
  call: FetchCall;
  /** Gate answers awaited, by chunk index. */
  gates: Map<number, { resolve(c: StagedChunk): void; reject(e: MeshError): void }>;
  sent: number;
  served: number[];
  timer?: NodeJS.Timeout;
  closed: boolean;
}

const port = parentPort!;
const data = workerData as FetchWorkerData;
// This thread has its own grpc-js: its diagnostics go to stderr as JSON lines too (every stderr line is JSON).
routeGrpcLogs(createLogger('hub', data.logLevel).child({ thread: 'fetch-worker' }));
lowerThreadPriority(BULK_THREAD_NICE);
const post = (message: WorkerToMain) => port.postMessage(message);
const streams = new Map<number, Stream>();
const corrupt = new CorruptFault();
let nextId = 1;

const meshError = (e: WireError) => new MeshError(e.code, e.message);

function report(id: number, s: Stream): void {
  clearTimeout(s.timer);
  s.timer = undefined;
  if (s.sent === 0 && s.served.length === 0) return;
  post({ t: 'sent', id, bytes: s.sent, served: s.served });
  s.sent = 0;
  s.served = [];
}

function closed(id: number, s: Stream): void {
  if (s.closed) return;
  s.closed = true;
  report(id, s);
  for (const g of s.gates.values()) g.reject(new MeshError('CANCELLED', 'the Fetch stream ended'));
  s.gates.clear();
  streams.delete(id);
  post({ t: 'closed', id });
}

function onFetch(call: FetchCall): void {
  const id = nextId++;
  const s: Stream = { call, gates: new Map(), sent: 0, served: [], closed: false };
  streams.set(id, s);
  for (const event of ['cancelled', 'finish', 'close', 'error'] as const) call.once(event, () => closed(id, s));
  const text = (key: string) => {
    const v = call.metadata.get(key)[0];
    return typeof v === 'string' ? v : undefined;
  };
  const { transferId, fromChunk, maxPieceBytes } = call.request;
  post({ t: 'open', id, authorization: text('authorization'), node: text('x-mesh-node'), peer: call.getPeer(), request: { transferId, fromChunk, maxPieceBytes } });
}

function admit(id: number, plan: Extract<MainToWorker, { t: 'admit' }>['plan']): void {
  const s = streams.get(id);
  if (!s) return;
  // In a worker, process.exit ends this thread only: the hub sees a crash.
  if (data.crashAtFirstStream) process.exit(70);
  const gate = (index: number) =>
    new Promise<StagedChunk>((resolve, reject) => {
      report(id, s);
      s.gates.set(index, { resolve, reject });
      post({ t: 'gate', id, index });
    });
  const sent = (bytes: number) => {
    s.sent += bytes;
    s.timer ??= setTimeout(() => report(id, s), REPORT_EVERY_MS);
  };
  pumpFetch(s.call as grpc.ServerWritableStream<unknown, Chunk>, plan, { gate, sent, served: (ms) => s.served.push(ms) }, corrupt).catch((err) => {
    if (s.call.cancelled || s.closed) return;
    const mesh = toMeshError(err);
    post({ t: 'failed', id, error: { code: mesh.code, message: mesh.message } });
    endCallWithError(s.call, mesh);
  });
}

function onMessage(message: MainToWorker): void {
  switch (message.t) {
    case 'admit':
      return admit(message.id, message.plan);
    case 'chunk': {
      const g = streams.get(message.id)?.gates;
      g?.get(message.index)?.resolve({ size: message.size, sha256: message.sha256 });
      g?.delete(message.index);
      return;
    }
    case 'end': {
      const s = streams.get(message.id);
      if (!s) return;
      const err = meshError(message.error);
      for (const g of s.gates.values()) g.reject(err);
      s.gates.clear();
      endCallWithError(s.call, err);
      return;
    }
    case 'stop':
      return void stop();
  }
}

let server: grpc.Server | undefined;

async function stop(): Promise<void> {
  await new Promise<void>((resolve) => {
    if (!server) return resolve();
    // Give streams a moment to end cleanly, then cut what is left (as the main port does).
    const timer = setTimeout(() => server!.forceShutdown(), 1_000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  post({ t: 'stopped' });
}

async function start(): Promise<void> {
  server = new grpc.Server(SERVER_OPTIONS);
  // Only Fetch: grpc-js answers Attach with UNIMPLEMENTED.
  server.addService(meshServiceDefinition(), { Fetch: onFetch });
  const credentials = data.tls ? await serverTls(data.tls) : grpc.ServerCredentials.createInsecure();
  const bound = await new Promise<number>((resolve, reject) => server!.bindAsync(data.address, credentials, (err, p) => (err ? reject(err) : resolve(p))));
  port.on('message', onMessage);
  post({ t: 'listening', port: bound });
}

start().catch((err: unknown) => post({ t: 'fatal', message: err instanceof Error ? err.message : String(err) }));
