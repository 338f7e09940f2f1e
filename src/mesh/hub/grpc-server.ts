// The hub's gRPC listener: credentials, the loopback-only rule for plaintext,
// and authentication in front of every handler (a refused node never reaches
// handler logic).
import * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { SERVER_OPTIONS, meshServiceDefinition } from '../protocol/load.js';
import { isLoopbackHost, splitHostPort } from '../protocol/address.js';
import { endCallWithError } from '../protocol/status.js';

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

export type Authenticate = (metadata: grpc.Metadata) => Promise<void>;

export interface MeshHandlers {
  attach: grpc.handleBidiStreamingCall<unknown, unknown>;
  fetch: grpc.handleServerStreamingCall<unknown, unknown>;
}

export interface RunningGrpcServer {
  port: number;
  address: string;
  close(): Promise<void>;
}

export async function startGrpcServer(
  handlers: MeshHandlers,
  authenticate: Authenticate,
  options: GrpcListenOptions,
  log: Logger,
): Promise<RunningGrpcServer> {
  const { host } = splitHostPort(options.address);
  if (!options.tls && !options.insecure && !isLoopbackHost(host)) {
    throw new MeshError(
      'INVALID_ARGUMENT',
      `refusing to listen without TLS on ${options.address}: give --tls-cert/--tls-key, listen on loopback, or pass --insecure`,
    );
  }
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(meshServiceDefinition(), {
    Attach: guardBidi(handlers.attach, authenticate, log),
    Fetch: guardServerStream(handlers.fetch, authenticate, log),
  });
  const credentials = options.tls ? await serverTls(options.tls) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
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

async function serverTls(tls: TlsFiles): Promise<grpc.ServerCredentials> {
  const [cert, key, ca] = await Promise.all([readFile(tls.cert), readFile(tls.key), tls.ca ? readFile(tls.ca) : null]);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], Boolean(ca));
}

function guardBidi(
  handler: grpc.handleBidiStreamingCall<unknown, unknown>,
  authenticate: Authenticate,
  log: Logger,
): grpc.handleBidiStreamingCall<unknown, unknown> {
  return (call) => {
    authenticate(call.metadata).then(
      () => handler(call),
      (err) => {
        log.warn({ peer: call.getPeer(), err: toMeshError(err).message }, 'attach refused');
        endCallWithError(call, err);
      },
    );
  };
}

function guardServerStream(
  handler: grpc.handleServerStreamingCall<unknown, unknown>,
  authenticate: Authenticate,
  log: Logger,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    authenticate(call.metadata).then(
      () => handler(call),
      (err) => {
        log.warn({ peer: call.getPeer(), err: toMeshError(err).message }, 'fetch refused');
        endCallWithError(call, err);
      },
    );
  };
}
