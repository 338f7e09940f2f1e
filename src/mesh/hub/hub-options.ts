// Everything a hub needs to start, resolved from flags and environment by
// the CLI (or given directly by tests and embedders).
import type { Logger } from '../../log.js';
import type { DriftMode } from './drift.js';
import type { TlsFiles } from './grpc-server.js';
import type { ToolCallObserver } from '../../ops/tool-calls.js';

export interface HubOptions {
  /** Data folder: embedded store, mirrors, staging, skills library. */
  dataDir: string;
  /** postgres://... or sqlite://...; default: SQLite in the data folder. */
  storeUrl?: string;
  /** gRPC listen address, HOST:PORT. */
  grpcAddress: string;
  /**
   * Where the fetch worker listens (a second port serving only Fetch over the
   * data wire, off the main event loop), HOST:PORT; `off`: Fetch on the main port only.
   * Default: the host of `grpcAddress`, port 0 (a free port).
   */
  grpcFetchAddress?: string;
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
  /** Told what the hub does, for metrics (src/ops); optional. */
  observer?: HubObserver;
  /** Told of every MCP tool call served over this hub (metrics, audit log); optional. */
  toolCalls?: ToolCallObserver;
  /** Test hooks; never set in production. */
  hooks?: { afterMirrorScan?: () => Promise<void> };
}

/**
 * What the hub reports as it works, for operators' metrics. Every method is
 * called on the hot path: implementations only count, never block or throw.
 */
export interface HubObserver {
  /** Bytes of a transfer put on the wire for `node` (a chunk handed to its Fetch stream). */
  bytesSent(node: string, bytes: number): void;
  /** Time to have one chunk ready for a Fetch stream (read from staging, encoded), ms. */
  chunkServed(ms: number): void;
}

/** Largest `write` the hub accepts, bytes (bigger files go through `push`). */
export const MAX_WRITE_BYTES = 16 * 1024 * 1024;
/** How long `write` waits for online members to confirm, ms. */
export const WRITE_WAIT_MS = 60_000;
/** Default quiet period before an auto-promotion, ms. */
export const AUTO_PROMOTE_QUIET_MS = 2_000;
