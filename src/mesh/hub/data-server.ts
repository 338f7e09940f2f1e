// The fetch port's listener (run by the fetch worker, fetch-worker.ts): plain
// TCP, or TLS with the main port's certificate and client-certificate rule,
// speaking the data wire (data-wire.ts). Each connection reads one bounded
// request, then becomes the sink a byte pump writes to (fetch-pump.ts). It
// decides nothing: the worker hands each request to the main thread, which
// authenticates and admits it.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { MeshError } from '../../errors.js';
import { splitHostPort } from '../protocol/address.js';
import { DATA_MAGIC, encodeEnd, MAX_REQUEST_BYTES, parseRequest, type DataRequest } from '../protocol/data-wire.js';
import type { Chunk } from '../protocol/frames.js';
import type { FetchSink } from './fetch-pump.js';
import type { TlsFiles } from './grpc-server.js';

/** A connection must send its whole request within this long, ms: a silent one holds a socket for nothing. */
export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Connections not answered yet (still sending their request, or waiting for
 * the main thread to admit or refuse it), at most, in all and from one
 * address; more are closed at once (each may hold 16 KiB for 10 s). A node
 * whose connection is closed before any answer fetches on the main port
 * instead (fetch-route.ts), so a flood from one address cannot stop others.
 */
export const MAX_PENDING_REQUESTS = 1024;
export const MAX_PENDING_PER_ADDRESS = 32;
/** Connections of every kind at once (file descriptors are the process's, shared with the main port and the store). */
export const MAX_CONNECTIONS = 4096;

/** One data connection after its request: the sink its pump writes to. */
export class DataConnection extends EventEmitter implements FetchSink {
  private done = false;

  constructor(
    private readonly socket: net.Socket,
    readonly request: DataRequest,
    readonly peer: string,
    /** Frees the connection's place among the pending ones: once it is admitted, answered or gone. */
    private readonly release: () => void,
  ) {
    super();
    socket.once('close', () => {
      release();
      this.emit('close');
    });
    socket.on('error', () => {}); // a reset by the node is its way to cancel; 'close' follows
    // Nothing more may come after the request: more bytes are a broken client.
    socket.on('data', () => socket.destroy());
  }

  /** Gone, or ended: the pump sends nothing more (a write after `end` would destroy the socket and lose the END frame). */
  get cancelled(): boolean {
    return this.done || this.socket.destroyed;
  }

  write(frame: Chunk, done: () => void): boolean {
    if (this.cancelled) {
      done();
      return false;
    }
    return this.socket.write(frame as unknown as Buffer, () => done());
  }

  end(): void {
    this.finish();
  }

  /** The main thread admitted the request: the connection is no longer pending. */
  admitted(): void {
    this.release();
  }

  /** End the Fetch with `error` (a refusal, a cancel, a stall). */
  fail(error: MeshError): void {
    this.finish(error);
  }

  private finish(error?: MeshError): void {
    this.release();
    if (this.done || this.socket.destroyed) return;
    this.done = true;
    this.socket.end(encodeEnd(error));
    // A node that never reads its last bytes must not hold the socket.
    this.socket.setTimeout(REQUEST_TIMEOUT_MS, () => this.socket.destroy());
  }

  /** Cut the connection (the hub stops). */
  destroy(): void {
    this.socket.destroy();
  }
}

export interface DataServerOptions {
  /** HOST:PORT; port 0 picks a free one. */
  address: string;
  tls?: TlsFiles;
  /** A connection sent its request. */
  onFetch(connection: DataConnection): void;
}

export interface DataServer {
  port: number;
  /** Stop listening; connections get `graceMs` to end, then are cut. */
  close(graceMs: number): Promise<void>;
}

/** Read the request of a new connection, bounded in size and time; undefined when it never came whole. */
function readRequest(socket: net.Socket): Promise<DataRequest | undefined> {
  return new Promise((resolve) => {
    // Each read is copied in once (a request trickled a byte at a time must not cost a copy of all so far per byte).
    const received = Buffer.alloc(DATA_MAGIC.length + 4 + MAX_REQUEST_BYTES);
    let length = 0;
    const timer = setTimeout(() => settle(undefined), REQUEST_TIMEOUT_MS);
    const settle = (request: DataRequest | undefined) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (!request) socket.destroy();
      resolve(request);
    };
    const onClose = () => settle(undefined);
    const onData = (data: Buffer) => {
      if (length + data.length > received.length) return settle(undefined); // more than any request
      data.copy(received, length);
      length += data.length;
      try {
        const request = parseRequest(received.subarray(0, length));
        if (request) settle(request);
      } catch {
        settle(undefined); // not our protocol, too long, or malformed: nothing to answer
      }
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

export async function startDataServer(options: DataServerOptions): Promise<DataServer> {
  const { host, port } = splitHostPort(options.address);
  const sockets = new Set<net.Socket>();
  let pending = 0;
  const pendingFrom = new Map<string, number>();
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const address = socket.remoteAddress ?? '?';
    const fromAddress = pendingFrom.get(address) ?? 0;
    if (pending >= MAX_PENDING_REQUESTS || fromAddress >= MAX_PENDING_PER_ADDRESS) return void socket.destroy();
    pending++;
    pendingFrom.set(address, fromAddress + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      pending--;
      const left = pendingFrom.get(address)! - 1;
      if (left > 0) pendingFrom.set(address, left);
      else pendingFrom.delete(address);
    };
    socket.setNoDelay(true);
    const peer = `${address}:${socket.remotePort ?? 0}`;
    void readRequest(socket).then((request) => {
      if (request && !socket.destroyed) options.onFetch(new DataConnection(socket, request, peer, release));
      else release();
    });
  };
  let server: net.Server;
  if (options.tls) {
    const [cert, key, ca] = await Promise.all([readFile(options.tls.cert), readFile(options.tls.key), options.tls.ca ? readFile(options.tls.ca) : undefined]);
    // The main port's rule (grpc-server.ts): with a CA, a client must present a certificate it signed.
    server = tls.createServer({ cert, key, ca, requestCert: Boolean(ca), rejectUnauthorized: Boolean(ca), handshakeTimeout: REQUEST_TIMEOUT_MS }, onSocket);
    server.on('tlsClientError', () => {});
  } else {
    server = net.createServer(onSocket);
  }
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => (server.off('error', reject), resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
