// A loopback TCP proxy that behaves like a slow link: tests and benchmarks put
// one node agent behind it to check that a slow node delays nobody else.
import net from 'node:net';
import { MeshError } from '../../src/errors.js';

export interface ThrottleProxyOptions {
  target: { host: string; port: number };
  /** Link rate in bytes per second, applied to each direction separately. 0 stalls the link; Infinity disables the limit. */
  bytesPerSecond: number;
  /** Default '127.0.0.1'; only loopback addresses are accepted. */
  listenHost?: string;
}

export type Direction = 'up' | 'down';

export interface ThrottleProxy {
  port: number;
  /** Change the rate (bytes per second) of both directions, effective within one tick. */
  setRate(bytesPerSecond: number): void;
  /**
   * Flip every bit of one byte: the byte `afterBytes` into the stream from now
   * on `direction` ('up' = client to target, 'down' = target to client),
   * counted across every connection going that way. Used to check that
   * corrupted data is refused.
   */
  corruptNext(direction: Direction, afterBytes?: number): void;
  /** Destroy the open connections but keep listening, like a link that drops. */
  cutConnections(): void;
  /** Destroy every socket and stop listening; resolves once the port is free. */
  close(): Promise<void>;
  /** Bytes forwarded so far: up = client to target, down = target to client. */
  stats(): { up: number; down: number };
}

/** Refill period in ms: small enough to look smooth, large enough to stay cheap. */
const TICK_MS = 20;
/** Largest burst, in ms worth of the rate, so a pause does not bank a flood. */
const BURST_MS = 50;

/**
 * Token bucket shared by every connection going one way, so several
 * connections through one proxy share one link, as they would in reality.
 */
class TokenBucket {
  private tokens = 0;
  private last = performance.now();
  constructor(private rate: number) {
    checkRate(rate);
  }

  setRate(rate: number): void {
    checkRate(rate);
    this.refill();
    this.rate = rate;
  }

  /** Take up to `want` bytes; returns how many were granted (0 = wait a tick). */
  take(want: number): number {
    if (this.rate === Infinity) return want;
    this.refill();
    const granted = Math.min(want, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }

  private refill(): void {
    const now = performance.now();
    const burst = Math.max(1, (this.rate * BURST_MS) / 1000);
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}

function checkRate(rate: number): void {
  if (!(rate >= 0)) throw new MeshError('INVALID_ARGUMENT', `bytesPerSecond must be >= 0, got ${rate}`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

interface Corruption {
  remaining: number;
}

/**
 * Forward `src` to `dst` through `bucket`. At most one chunk read from `src`
 * is held at a time: `src` stays paused while that chunk waits for tokens or
 * while `dst` is full, so memory is bounded by the socket's read size.
 */
function pipeThrottled(
  src: net.Socket,
  dst: net.Socket,
  bucket: TokenBucket,
  count: (n: number) => void,
  corruption: () => Corruption | undefined,
  timers: Set<NodeJS.Timeout>,
): void {
  let pending: Buffer | null = null;
  let ended = false;
  let waiting = false; // a timer or a 'drain' will call pump

  const finish = (): void => {
    if (ended && !pending && !dst.destroyed) dst.end();
  };

  const waitTick = (): void => {
    waiting = true;
    const t = setTimeout(() => {
      timers.delete(t);
      pump();
    }, TICK_MS);
    timers.add(t);
  };

  const pump = (): void => {
    waiting = false;
    while (pending) {
      if (dst.destroyed) return;
      const n = bucket.take(pending.length);
      if (n === 0) return waitTick();
      let part = pending.subarray(0, n);
      pending = n < pending.length ? pending.subarray(n) : null;
      const c = corruption();
      if (c && c.remaining < part.length) {
        part = Buffer.from(part); // never modify a buffer the socket may reuse
        part[c.remaining] = part[c.remaining]! ^ 0xff;
        c.remaining = -1;
      } else if (c) {
        c.remaining -= part.length;
      }
      count(part.length);
      if (!dst.write(part)) {
        waiting = true;
        dst.once('drain', pump);
        return;
      }
      // The bucket ran dry: wait a tick. Looping here would spin on the few
      // bytes refilled per microsecond, a core busy writing 30-byte segments.
      if (pending) return waitTick();
    }
    if (ended) finish();
    else src.resume();
  };

  src.on('data', (chunk: Buffer) => {
    src.pause();
    pending = pending ? Buffer.concat([pending, chunk]) : chunk;
    if (!waiting) pump();
  });
  src.on('end', () => {
    ended = true;
    if (!waiting) finish();
  });
}

/** Start the proxy; resolves once it listens on an ephemeral port. */
export async function startThrottleProxy(options: ThrottleProxyOptions): Promise<ThrottleProxy> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  // Security: a test helper that forwards anything must never be reachable from the network.
  if (!isLoopback(listenHost) || !isLoopback(options.target.host)) {
    throw new MeshError('INVALID_ARGUMENT', 'the throttle proxy listens on and dials loopback addresses only');
  }
  const up = new TokenBucket(options.bytesPerSecond);
  const down = new TokenBucket(options.bytesPerSecond);
  const totals = { up: 0, down: 0 };
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const corruptions: Record<Direction, Corruption | undefined> = { up: undefined, down: undefined };
  const take = (d: Direction) => (): Corruption | undefined => {
    const c = corruptions[d];
    if (c && c.remaining < 0) corruptions[d] = undefined;
    return corruptions[d];
  };

  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  // Half-open sockets: a client that ends its upload must still receive the reply.
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    track(client);
    const upstream = net.connect({ port: options.target.port, host: options.target.host, allowHalfOpen: true });
    track(upstream);
    // A reset on one side is a reset on the other: the peer must see the link drop.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.once('connect', () => {
      pipeThrottled(client, upstream, up, (n) => (totals.up += n), take('up'), timers);
      pipeThrottled(upstream, client, down, (n) => (totals.down += n), take('down'), timers);
      client.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  const cutConnections = (): void => {
    for (const s of sockets) s.destroy();
  };

  return {
    port,
    setRate(bps) {
      up.setRate(bps);
      down.setRate(bps);
    },
    corruptNext(direction, afterBytes = 0) {
      corruptions[direction] = { remaining: afterBytes };
    },
    cutConnections,
    close() {
      return new Promise<void>((resolve) => {
        cutConnections();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
      });
    },
    stats: () => ({ ...totals }),
  };
}
