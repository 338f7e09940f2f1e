// A TCP forwarder that can cut its connections after a chosen number of
// bytes: a link that drops mid-stream (a NAT timeout, a Wi-Fi handover), at
// byte counts the test picks (seeded). It counts the bytes it forwards, an
// observer independent of the processes on either side. Listens on loopback,
// or on the host side of a veth pair the test made (test/support/netns.ts).
import net from 'node:net';

export interface CutProxyOptions {
  target: { host: string; port: number };
  listenHost?: string;
  /**
   * Asked once per connection: cut it after this many bytes (both directions
   * counted together), or undefined to leave it whole.
   */
  cutAfter?: () => number | undefined;
}

export interface CutProxy {
  host: string;
  port: number;
  /** Bytes forwarded: up = client to target, down = target to client; cuts made. */
  stats(): { up: number; down: number; cuts: number; connections: number };
  /** Cut every open connection now (counted as cuts). */
  cutNow(): void;
  /** Change the cut rule for connections opened from now on. */
  setCutAfter(rule: (() => number | undefined) | undefined): void;
  close(): Promise<void>;
}

export async function startCutProxy(options: CutProxyOptions): Promise<CutProxy> {
  const host = options.listenHost ?? '127.0.0.1';
  let rule = options.cutAfter;
  const totals = { up: 0, down: 0, cuts: 0, connections: 0 };
  const sockets = new Set<net.Socket>();
  const cutters = new Set<() => void>();
  const server = net.createServer((client) => {
    totals.connections++;
    const upstream = net.connect(options.target.port, options.target.host);
    sockets.add(client).add(upstream);
    const limit = rule?.();
    let seen = 0;
    let done = false;
    const cut = () => {
      if (done) return;
      done = true;
      totals.cuts++;
      client.destroy();
      upstream.destroy();
    };
    cutters.add(cut);
    const pipe = (from: net.Socket, to: net.Socket, dir: 'up' | 'down') =>
      from.on('data', (chunk: Buffer) => {
        if (limit !== undefined && seen + chunk.length >= limit) {
          // Forward up to the cut point, then drop both sides: the peer sees a stream end mid-message.
          const keep = Math.max(0, limit - seen);
          if (keep > 0) to.write(chunk.subarray(0, keep));
          totals[dir] += keep;
          seen += keep;
          cut();
          return;
        }
        seen += chunk.length;
        totals[dir] += chunk.length;
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        cutters.delete(cut);
        done = true;
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as net.AddressInfo).port,
    stats: () => ({ ...totals }),
    cutNow() {
      for (const cut of [...cutters]) cut();
    },
    setCutAfter(next) {
      rule = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A node's two links to the hub (main port and fetch port) as one proxy:
 * the cut rule applies to the fetch link, where file data flows; `cutNow`
 * cuts both; the stats are summed.
 */
export function nodeLinks(main: CutProxy, fetch: CutProxy): CutProxy {
  return {
    host: main.host,
    port: main.port,
    stats: () => {
      const [a, b] = [main.stats(), fetch.stats()];
      return { up: a.up + b.up, down: a.down + b.down, cuts: a.cuts + b.cuts, connections: a.connections + b.connections };
    },
    cutNow: () => {
      main.cutNow();
      fetch.cutNow();
    },
    setCutAfter: (rule) => fetch.setCutAfter(rule),
    close: async () => {
      await Promise.all([main.close(), fetch.close()]);
    },
  };
}
