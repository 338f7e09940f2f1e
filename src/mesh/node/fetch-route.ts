// Where a node pulls its Fetch streams from: the hub's fetch port (a second
// listener on the same host, speaking the data wire from a worker thread,
// data-fetch.ts) when the hub named one in its welcome, else the main gRPC
// connection. A fetch port that cannot be reached (refused, firewalled, a
// crashed worker) costs one short wait, then the main connection is used for
// FALLBACK_MS before the port is tried again, so a blocked port does not cost
// every delivery a timeout.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../log.js';
import { joinHostPort, splitHostPort } from '../protocol/address.js';
import type { Chunk, FetchRequest } from '../protocol/frames.js';
import { DATA_PIECE_BYTES } from '../protocol/pieces.js';
import { DataPortUnreachable, fetchOverData } from './data-fetch.js';
import type { HubClientOptions } from './hub-client.js';

/** How long the main connection is used after the fetch port failed, ms. */
export const FALLBACK_MS = 120_000;

export interface FetchRouteOptions extends HubClientOptions {
  /**
   * Where to fetch, overriding what the hub announces: HOST:PORT (a port
   * forwarded or proxied to the hub's fetch port), or `off` (always the main
   * connection). Default: the hub's host with the announced port.
   */
  fetchHub?: string;
}

type FetchClient = { Fetch(r: FetchRequest, md: grpc.Metadata): grpc.ClientReadableStream<Chunk> };

/** One Fetch call whose stream is cancelled when `signal` aborts. */
function openFetch(client: grpc.Client, request: FetchRequest, metadata: grpc.Metadata, signal: AbortSignal): grpc.ClientReadableStream<Chunk> {
  const stream = (client as unknown as FetchClient).Fetch(request, metadata);
  const onAbort = () => stream.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  stream.on('close', () => signal.removeEventListener('abort', onAbort));
  return stream;
}

export class FetchRoute {
  /** Announced by the hub at the last welcome; 0: none. */
  private port = 0;
  /** Until when (ms since epoch) the main connection is used for `fallbackAddress`. */
  private fallbackUntil = 0;
  private fallbackAddress = '';

  constructor(
    private readonly main: grpc.Client,
    private readonly options: FetchRouteOptions,
    private readonly metadata: () => grpc.Metadata,
    private readonly log: Logger,
  ) {}

  /** The hub's welcome named its fetch port (0: none). */
  setPort(port: number | undefined): void {
    this.port = Number.isSafeInteger(port) && port! > 0 && port! <= 65535 ? port! : 0;
  }

  /** The fetch port's host and port, or undefined for the main connection. */
  private target(): { host: string; port: number } | undefined {
    const override = this.options.fetchHub;
    if (override === 'off') return undefined;
    if (override) return splitHostPort(override);
    if (!this.port) return undefined;
    return { host: splitHostPort(this.options.hub).host, port: this.port };
  }

  private fallBack(address: string, reason: string): void {
    this.fallbackAddress = address;
    this.fallbackUntil = Date.now() + FALLBACK_MS;
    this.log.warn({ fetchPort: address, reason, retryInMs: FALLBACK_MS }, 'fetch port unreachable; fetching on the main connection');
  }

  /** The chunks of `request`, on the fetch port when there is one and it answers, else on the main connection. */
  async *fetch(request: FetchRequest, signal: AbortSignal): AsyncGenerator<Chunk> {
    const target = this.target();
    const address = target && joinHostPort(target.host, target.port);
    if (target && !(this.fallbackAddress === address && Date.now() < this.fallbackUntil)) {
      const md = this.metadata();
      const text = (key: string) => {
        const v = md.get(key)[0];
        return typeof v === 'string' ? v : undefined;
      };
      const dataRequest = { authorization: text('authorization'), node: text('x-mesh-node'), transferId: request.transferId, fromChunk: request.fromChunk, maxPieceBytes: DATA_PIECE_BYTES };
      try {
        yield* fetchOverData({ ...target, tls: this.options.tls }, dataRequest, signal);
        return;
      } catch (err) {
        // Only a port that cannot be reached falls back; a refusal by the hub (not found, limits, auth) is the answer.
        if (signal.aborted || !(err instanceof DataPortUnreachable)) throw err;
        this.fallBack(address!, err.message);
      }
    }
    yield* openFetch(this.main, request, this.metadata(), signal) as AsyncIterable<Chunk>;
  }
}
