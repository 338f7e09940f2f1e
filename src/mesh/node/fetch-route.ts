// Where a node pulls its Fetch streams from: the hub's fetch port (a second
// listener on the same host, served off the hub's main loop) when the hub
// named one in its welcome, else the main connection. A fetch port that
// cannot be reached (refused, firewalled, a crashed worker) costs one short
// wait, then the main connection is used for FALLBACK_MS before the port is
// tried again, so a blocked port does not cost every delivery a timeout.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../log.js';
import { joinHostPort, splitHostPort } from '../protocol/address.js';
import type { Chunk, FetchRequest } from '../protocol/frames.js';
import { createHubClient, type HubClientOptions } from './hub-client.js';

/** How long a fetch port that is not connected may take to connect before the main connection is used, ms. */
const READY_TIMEOUT_MS = 5_000;
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

/** Whether the channel is (or gets) connected within `timeoutMs`; false at once when a connection attempt fails. */
function whenReady(client: grpc.Client, timeoutMs: number): Promise<boolean> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = () => {
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) return resolve(true);
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) return resolve(false);
      channel.watchConnectivityState(state, deadline, (err) => (err ? resolve(false) : check()));
    };
    check();
  });
}

export class FetchRoute {
  /** Announced by the hub at the last welcome; 0: none. */
  private port = 0;
  private client: { address: string; client: grpc.Client } | undefined;
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

  /** The fetch port's HOST:PORT, or undefined for the main connection. */
  private target(): string | undefined {
    const override = this.options.fetchHub;
    if (override === 'off') return undefined;
    if (override) return override;
    if (!this.port) return undefined;
    const { host } = splitHostPort(this.options.hub);
    return joinHostPort(host, this.port);
  }

  private clientFor(address: string): grpc.Client {
    if (this.client?.address === address) return this.client.client;
    this.client?.client.close();
    // The same credentials and channel options as the main connection (hub-client.ts).
    this.client = { address, client: createHubClient({ ...this.options, hub: address }) };
    return this.client.client;
  }

  private fallBack(address: string, reason: string): void {
    this.fallbackAddress = address;
    this.fallbackUntil = Date.now() + FALLBACK_MS;
    this.log.warn({ fetchPort: address, reason, retryInMs: FALLBACK_MS }, 'fetch port unreachable; fetching on the main connection');
  }

  /** The chunks of `request`, on the fetch port when there is one and it answers, else on the main connection. */
  async *fetch(request: FetchRequest, signal: AbortSignal): AsyncGenerator<Chunk> {
    const address = this.target();
    if (address && !(this.fallbackAddress === address && Date.now() < this.fallbackUntil)) {
      const client = this.clientFor(address);
      if (await whenReady(client, READY_TIMEOUT_MS)) {
        let received = false;
        try {
          for await (const chunk of openFetch(client, request, this.metadata(), signal)) {
            received = true;
            yield chunk as Chunk;
          }
          return;
        } catch (err) {
          // Only a port that cannot be used falls back; a refusal by the hub (not found, limits, auth) is the answer.
          if (received || signal.aborted || (err as grpc.ServiceError).code !== grpc.status.UNAVAILABLE) throw err;
          this.fallBack(address, (err as grpc.ServiceError).details ?? 'UNAVAILABLE');
        }
      } else {
        this.fallBack(address, `not connected within ${READY_TIMEOUT_MS / 1000} s`);
      }
    }
    yield* openFetch(this.main, request, this.metadata(), signal) as AsyncIterable<Chunk>;
  }

  close(): void {
    this.client?.client.close();
    this.client = undefined;
  }
}
