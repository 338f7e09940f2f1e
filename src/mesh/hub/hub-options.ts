// Everything a hub needs to start, resolved from flags and environment by
// the CLI (or given directly by tests and embedders).
import type { Logger } from '../../log.js';
import type { DriftMode } from './drift.js';
import type { TlsFiles } from './grpc-server.js';

export interface HubOptions {
  /** Data folder: embedded store, mirrors, staging, skills library. */
  dataDir: string;
  /** postgres://... or sqlite://...; default: SQLite in the data folder. */
  storeUrl?: string;
  /** gRPC listen address, HOST:PORT. */
  grpcAddress: string;
  tls?: TlsFiles;
  insecure?: boolean;
  /** Tokens accepted besides those minted into the store. */
  nodeTokens: string[];
  /** Folders `push` may read from. */
  sourceRoots: string[];
  driftMode: DriftMode;
  autoPromote: boolean;
  /** Quiet period after the last write into a skill before it is auto-promoted, ms. Default 2,000. */
  autoPromoteQuietMs?: number;
  log: Logger;
  /** Test hooks; never set in production. */
  hooks?: { afterMirrorScan?: () => Promise<void> };
}

/** Largest `write` the hub accepts, bytes (bigger files go through `push`). */
export const MAX_WRITE_BYTES = 16 * 1024 * 1024;
/** How long `write` waits for online members to confirm, ms. */
export const WRITE_WAIT_MS = 60_000;
/** Default quiet period before an auto-promotion, ms. */
export const AUTO_PROMOTE_QUIET_MS = 2_000;
