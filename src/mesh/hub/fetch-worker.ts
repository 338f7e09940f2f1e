// The fetch worker: the fetch port's listener (data-server.ts, the data wire
// of data-wire.ts), in a worker thread, so the socket writes of bulk data
// never run on the hub's main event loop (where MCP calls and the control
// streams are served). It holds no rule: each connection's request goes to
// the main thread, which authenticates and admits it (transfer-serve.ts) and
// allows each chunk; the worker runs the same byte pump as the main port
// (fetch-pump.ts) and reports the bytes it sent. Started by fetch-worker-host.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { MeshError, toMeshError } from '../../errors.js';
import { BULK_THREAD_NICE, lowerThreadPriority } from '../thread-priority.js';
import { startDataServer, type DataConnection, type DataServer } from './data-server.js';
import { pumpFetch, pumpServer } from './fetch-pump.js';
import type { FetchWorkerData, MainToWorker, WireError, WorkerToMain } from './fetch-worker-wire.js';
import type { StagedChunk } from './piece-reader.js';

/** Sent bytes are reported at least this often while a stream runs, ms (and at every chunk). */
const REPORT_EVERY_MS = 100;

interface Stream {
  connection: DataConnection;
  /** Gate answers awaited, by chunk index. */
  gates: Map<number, { resolve(c: StagedChunk): void; reject(e: MeshError): void }>;
  sent: number;
  served: number[];
  timer?: NodeJS.Timeout;
  closed: boolean;
}

const port = parentPort!;
const data = workerData as FetchWorkerData;
lowerThreadPriority(BULK_THREAD_NICE);
const post = (message: WorkerToMain) => port.postMessage(message);
const streams = new Map<number, Stream>();
const pumps = pumpServer();
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

function onFetch(connection: DataConnection): void {
  const id = nextId++;
  const s: Stream = { connection, gates: new Map(), sent: 0, served: [], closed: false };
  streams.set(id, s);
  connection.once('close', () => closed(id, s));
  const { authorization, node, transferId, fromChunk, maxPieceBytes } = connection.request;
  post({ t: 'open', id, authorization, node, peer: connection.peer, request: { transferId, fromChunk, maxPieceBytes } });
}

function admit(id: number, plan: Extract<MainToWorker, { t: 'admit' }>['plan']): void {
  const s = streams.get(id);
  if (!s) return;
  s.connection.admitted();
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
  pumpFetch(s.connection, plan, { gate, sent, served: (ms) => s.served.push(ms) }, pumps).catch((err) => {
    if (s.connection.cancelled || s.closed) return;
    const mesh = toMeshError(err);
    post({ t: 'failed', id, error: { code: mesh.code, message: mesh.message } });
    s.connection.fail(mesh);
  });
}

function onMessage(message: MainToWorker): void {
  switch (message.t) {
    case 'admit':
      return admit(message.id, message.plan);
    case 'chunk': {
      const g = streams.get(message.id)?.gates;
      g?.get(message.index)?.resolve({ size: message.size, sha256: message.sha256, blake3: message.blake3 });
      g?.delete(message.index);
      return;
    }
    case 'end': {
      const s = streams.get(message.id);
      if (!s) return;
      const err = meshError(message.error);
      for (const g of s.gates.values()) g.reject(err);
      s.gates.clear();
      s.connection.fail(err);
      return;
    }
    case 'stop':
      return void stop();
  }
}

let server: DataServer | undefined;

async function stop(): Promise<void> {
  // Give streams a moment to end cleanly, then cut what is left (as the main port does).
  await server?.close(1_000);
  post({ t: 'stopped' });
}

async function start(): Promise<void> {
  server = await startDataServer({ address: data.address, tls: data.tls, onFetch });
  port.on('message', onMessage);
  post({ t: 'listening', port: server.port });
}

start().catch((err: unknown) => post({ t: 'fatal', message: err instanceof Error ? err.message : String(err) }));
