// A hand-driven node for attack tests: it speaks the real wire protocol over
// a real gRPC channel (and the data wire on the fetch port), but sends
// whatever the test wants (huge hellos, empty manifests, forged replies) and
// answers requests with a test's handler.
import type * as grpc from '@grpc/grpc-js';
import type { Readable } from 'node:stream';
import type { Chunk, FetchRequest, HubFrame, NodeFrame, NodeFrameOut, Request } from '../../src/mesh/protocol/frames.js';
import { callMetadata, createHubClient } from '../../src/mesh/node/hub-client.js';
import { dataWireStream } from '../support/data-wire-stream.js';

/** A Fetch stream of either port: a gRPC call on the main port, the data wire on the fetch port. */
export type FetchStream = Readable & { cancel(): void };

export interface HostileNode {
  frames: HubFrame[];
  /** The gRPC status the hub ended the control stream with, once it did. */
  ended: Promise<grpc.ServiceError | undefined>;
  send(frame: NodeFrameOut): void;
  /** Resolve with the first frame of `kind` (already received or to come), bounded by timeoutMs (30 s: once, in a loaded full run, no welcome came within 15 s). */
  waitFrame<K extends HubFrame['kind']>(kind: K, timeoutMs?: number): Promise<Extract<HubFrame, { kind: K }>>;
  /** Open a raw Fetch; the stream is paused, so it reads nothing (a stalled reader). */
  fetchPaused(transferId: string): FetchStream;
  /** Fetch a whole transfer with the request the test wants; resolves with every message received, in order (`onData` sees each as it comes). */
  fetchAll(request: FetchRequest, onData?: (chunk: Chunk) => void): Promise<Chunk[]>;
  close(): void;
}

export interface HostileOptions {
  port: number;
  nodeId: string;
  token: string;
  /** Sessions named in the hello. */
  sessions?: string[];
  /** Send Fetch calls to this port (the hub's fetch port) instead of `port`. */
  fetchPort?: number;
  /** Answer the hub's requests; default: never answer. */
  onRequest?: (request: Request, send: (frame: NodeFrameOut) => void) => void;
}

export function connectHostile(options: HostileOptions): HostileNode {
  const client = createHubClient({ hub: `127.0.0.1:${options.port}`, nodeId: options.nodeId });
  const md = () => callMetadata(options.nodeId, options.token);
  const call = (client as unknown as { Attach(md: grpc.Metadata): grpc.ClientDuplexStream<NodeFrame, HubFrame> }).Attach(md());
  const frames: HubFrame[] = [];
  const watchers = new Set<() => void>();
  const send = (frame: NodeFrameOut) => call.write(frame as NodeFrame);
  call.on('data', (frame: HubFrame) => {
    frames.push(frame);
    if (frame.kind === 'request') options.onRequest?.(frame.request, send);
    for (const w of [...watchers]) w();
  });
  // How the control stream ended, once it did: a frame that never comes is explained by it.
  let endedAs = '';
  const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on('error', (err: grpc.ServiceError) => ((endedAs = `; the stream ended: ${err.message}`), resolve(err)));
    call.on('end', () => ((endedAs = '; the stream ended'), resolve(undefined)));
  });
  send({ hello: { nodeId: options.nodeId, sessions: options.sessions ?? [], version: 'hostile' } });
  const streams: FetchStream[] = [];
  const fetch = (request: FetchRequest): FetchStream =>
    options.fetchPort
      ? dataWireStream(options.fetchPort, { authorization: `Bearer ${options.token}`, node: options.nodeId, ...request })
      : (client as unknown as { Fetch(r: FetchRequest, md: grpc.Metadata): grpc.ClientReadableStream<Chunk> }).Fetch(request, md());
  return {
    frames,
    ended,
    send,
    waitFrame(kind, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find((f) => f.kind === kind);
          if (!found) return false;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(found as never);
          return true;
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${kind} frame within ${timeoutMs} ms (got ${frames.map((f) => f.kind).join(', ') || 'nothing'}${endedAs})`));
        }, timeoutMs);
        if (!check()) watchers.add(check);
        void ended.then(() => setTimeout(() => check() || undefined, 0));
      });
    },
    fetchPaused(transferId) {
      const stream = fetch({ transferId, fromChunk: 0 });
      stream.on('error', () => {});
      stream.pause();
      streams.push(stream);
      return stream;
    },
    fetchAll(request, onData) {
      const stream = fetch(request);
      streams.push(stream);
      const received: Chunk[] = [];
      return new Promise((resolve, reject) => {
        stream.on('data', (chunk: Chunk) => {
          received.push(chunk);
          onData?.(chunk);
        });
        stream.on('error', reject);
        stream.on('end', () => resolve(received));
      });
    },
    close() {
      for (const s of streams) s.cancel();
      call.cancel();
      client.close();
    },
  };
}

/** Resident set size of a process, bytes, from /proc (an observer independent of the process). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb * 1024;
}
