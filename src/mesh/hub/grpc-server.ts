// The hub's gRPC listener: credentials, the loopback-only rule for plaintext,
// and authentication in front of every handler (a refused node never reaches
// handler logic).
import * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { MeshError, toMeshError } from '../../errors.js';
import { addressInUse } from './address-in-use.js';
import type { Logger } from '../../log.js';
import { SERVER_OPTIONS, meshServiceDefinition } from '../protocol/load.js';
import { isLoopbackHost, splitHostPort } from '../protocol/address.js';
import { endCallWithError } from '../protocol/status.js';
import type { Principal } from './node-auth.js';
import type { OpenCall, OpenCalls } from './open-calls.js';
import { NODE_LOG_RATE, RateLimiter } from './rate-limit.js';

export interface TlsFiles {
  cert: string;
  key: string;
  /** When set, clients must present a certificate signed by this CA. */
  ca?: string;
}

export interface GrpcListenOptions {
  /** HOST:PORT; port 0 picks a free one. */
  address: string;
  tls?: TlsFiles;
  /** Allow plaintext on a non-loopback address. */
  insecure?: boolean;
}

/** Resolve a call's metadata to who makes it, or throw UNAUTHENTICATED. */
export type Authenticate = (metadata: grpc.Metadata) => Promise<Principal>;

/** Handlers run only for authenticated calls, with the call's entry among the open calls. */
export interface MeshHandlers {
  attach(call: grpc.ServerDuplexStream<unknown, unknown>, open: OpenCall): void;
  fetch(call: grpc.ServerWritableStream<unknown, unknown>, open: OpenCall): void;
}

export interface RunningGrpcServer {
  port: number;
  address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(
  handlers: MeshHandlers,
  authenticate: Authenticate,
  calls: OpenCalls,
  options: GrpcListenOptions,
  log: Logger,
): Promise<RunningGrpcServer> {
  const { host } = checkListenAddress(options);
  const server = new grpc.Server(SERVER_OPTIONS);
  const refusalLog = new RateLimiter(NODE_LOG_RATE);
  server.addService(meshServiceDefinition(), {
    Attach: guard('attach', handlers.attach, authenticate, calls, { log, refusalLog }),
    Fetch: guard('fetch', handlers.fetch, authenticate, calls, { log, refusalLog }),
  });
  const credentials = options.tls ? await serverTls(options.tls) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, credentials, (err, p) => (err ? reject(addressInUse(err, options.address, '--grpc (MESH_GRPC)') ?? err) : resolve(p))),
  );
  return {
    port,
    address: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Give streams a moment to end cleanly, then cut what is left.
        const timer = setTimeout(() => server.forceShutdown(), 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** The loopback-only rule for plaintext, for both gRPC listeners (main port and fetch worker). */
export function checkListenAddress(options: GrpcListenOptions): { host: string; port: number } {
  const hostPort = splitHostPort(options.address);
  if (!options.tls && !options.insecure && !isLoopbackHost(hostPort.host)) {
    throw new MeshError(
      'INVALID_ARGUMENT',
      `refusing to listen without TLS on ${options.address}: give --tls-cert/--tls-key, listen on loopback, or pass --insecure`,
    );
  }
  return hostPort;
}

export async function serverTls(tls: TlsFiles): Promise<grpc.ServerCredentials> {
  const [cert, key, ca] = await Promise.all([readFile(tls.cert), readFile(tls.key), tls.ca ? readFile(tls.ca) : null]);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], Boolean(ca));
}

type ServerCall = grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * Authenticate before any handler logic runs, and keep the call among the
 * open calls until it ends, so that a revocation can still cut it.
 */
function guard<C extends ServerCall>(
  kind: OpenCall['kind'],
  handler: (call: C, open: OpenCall) => void,
  authenticate: Authenticate,
  calls: OpenCalls,
  { log, refusalLog }: { log: Logger; refusalLog: RateLimiter },
): (call: C) => void {
  return (call) => {
    // Listen before authenticating: a call cancelled while its token is being
    // checked must not be left among the open calls (it would count against
    // its node's limits forever).
    let gone = false;
    for (const event of ['cancelled', 'close', 'error'] as const) call.once(event, () => (gone = true));
    const recheckedBefore = calls.rechecks;
    authenticate(call.metadata).then(
      (principal) => {
        if (gone || call.cancelled) return;
        const { open, closed } = calls.admit(kind, principal, (err) => endCallWithError(call, err), recheckedBefore);
        for (const event of ['cancelled', 'finish', 'close', 'error'] as const) call.once(event, closed);
        handler(call, open);
      },
      (err) => {
        // Refusals are logged within a budget per peer address: a client with no valid token must not flood the log.
        const peer = call.getPeer();
        if (refusalLog.take(peer.replace(/:\d+$/, ''))) log.warn({ peer, call: kind, err: toMeshError(err).message }, `${kind} refused`);
        endCallWithError(call, err);
      },
    );
  };
}
