// The node's gRPC client to the hub: credentials, per-call metadata (token
// and node id), and the channel options that matter for bulk pulls.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { KEEPALIVE_OPTIONS, meshClientConstructor } from '../protocol/load.js';

export interface HubClientOptions {
  /** HOST:PORT of the hub. */
  hub: string;
  nodeId: string;
  token?: string;
  /** TLS: CA to trust (enables TLS), and an optional client certificate. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/**
 * A 16 MiB HTTP/2 window lets one Fetch stream run at about 1 GB/s on
 * loopback instead of about 330 MB/s with the 64 KiB default.
 */
const FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

export function createHubClient(options: HubClientOptions): grpc.Client {
  const Ctor = meshClientConstructor();
  // Read once at start: a node agent's startup may block, its data path may not.
  const credentials = options.tls
    ? grpc.credentials.createSsl(
        options.tls.ca ? readFileSync(options.tls.ca) : null,
        options.tls.key ? readFileSync(options.tls.key) : null,
        options.tls.cert ? readFileSync(options.tls.cert) : null,
      )
    : grpc.credentials.createInsecure();
  return new Ctor(options.hub, credentials, {
    ...KEEPALIVE_OPTIONS,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    // The agent runs its own backoff; keep grpc's short so a restarted hub is found fast.
    'grpc.initial_reconnect_backoff_ms': 500,
    'grpc.max_reconnect_backoff_ms': 5_000,
  });
}

/** Metadata of every call: the bearer token in use and the node id the call is made as. */
export function callMetadata(nodeId: string, token: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  md.set('x-mesh-node', nodeId);
  return md;
}
