// The raw gRPC baseline's service definition and channel settings, shared by
// its sender and receiver processes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'raw.proto');

/** Bytes per streamed message; 4 MiB like the hub's chunks. */
export const DEFAULT_PIECE_BYTES = 4 * 1024 * 1024;

/**
 * Client channel options. The HTTP/2 window is raised to 16 MiB (grpc-js
 * reads 'grpc-node.flow_control_window' for both the stream and the
 * connection window); with the 64 KiB default a loopback stream stalls on
 * window updates and the baseline would be unfairly slow.
 */
export const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

export interface PullRequest {
  receiver: number;
}
export interface Piece {
  data: Buffer;
}

export interface RawTransferClient extends grpc.Client {
  pull(req: PullRequest): grpc.ClientReadableStream<Piece>;
  confirm(req: PullRequest, cb: (err: grpc.ServiceError | null) => void): grpc.ClientUnaryCall;
}

export function loadRawTransfer(): {
  service: grpc.ServiceDefinition;
  Client: new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => RawTransferClient;
} {
  const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    meshbench: { RawTransfer: grpc.ServiceClientConstructor };
  };
  const ctor = pkg.meshbench.RawTransfer;
  return { service: ctor.service, Client: ctor as unknown as new (...a: ConstructorParameters<grpc.ServiceClientConstructor>) => RawTransferClient };
}
