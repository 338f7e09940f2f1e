// Loads proto/mesh.proto once and exposes the service definition and client
// constructor. Both sides use the same loader options, so field names are
// camelCase, 64-bit integers are plain numbers and bytes are Buffers.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { messageOfFrame } from './chunk-wire.js';
import { installSharedFrames, isSealedFrame } from './shared-frames.js';

/**
 * proto/mesh.proto: beside the single file of the MCP Bundle (`server/proto/`),
 * else at the package root, three folders above this module (dist/ or src/).
 */
export const PROTO_PATH = [new URL('./proto/mesh.proto', import.meta.url), new URL('../../../proto/mesh.proto', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((file) => existsSync(file)) ?? fileURLToPath(new URL('../../../proto/mesh.proto', import.meta.url));

// The frame types (frames.ts) are generated with the same options: a change here goes into the generator's flags too (scripts/proto-types.ts).
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

interface MeshPackage {
  mesh: { v1: { Mesh: grpc.ServiceClientConstructor } };
}

let cached: MeshPackage | undefined;

function load(): MeshPackage {
  cached ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS)) as unknown as MeshPackage;
  return cached;
}

let serverDefinition: grpc.ServiceDefinition | undefined;

/**
 * The service as the hub serves it. Fetch replies may be handed to grpc-js
 * already encoded: a sealed gRPC frame (chunk-wire.ts), sent as is by every
 * node's stream (shared-frames.ts), or an encoded message (a Buffer).
 */
export function meshServiceDefinition(): grpc.ServiceDefinition {
  if (!serverDefinition) {
    installSharedFrames();
    const base = load().mesh.v1.Mesh.service;
    const fetch = base.Fetch!;
    const encode = fetch.responseSerialize;
    const serialize = (value: unknown) => (isSealedFrame(value) ? messageOfFrame(value) : Buffer.isBuffer(value) ? value : encode(value));
    serverDefinition = { ...base, Fetch: { ...fetch, responseSerialize: serialize } };
  }
  return serverDefinition;
}

export function meshClientConstructor(): grpc.ServiceClientConstructor {
  return load().mesh.v1.Mesh;
}

/** 4 MiB of payload plus framing; both sides raise grpc's 4 MiB default. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Channel options shared by hub and node: keepalive so a dead peer is noticed within ~30 s. */
export const KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

/** Server side: accept pings as often as the nodes send them. */
export const SERVER_OPTIONS: grpc.ChannelOptions = {
  ...KEEPALIVE_OPTIONS,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  'grpc.http2.max_ping_strikes': 0,
};
