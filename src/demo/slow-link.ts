// A loopback TCP relay that carries bytes toward its client at a fixed rate:
// the demo puts one node behind it to show that a slow node delays nobody
// else. Each direction waits for its own budget; nothing is buffered beyond
// one socket read.
import net from 'node:net';

export interface SlowLink {
  port: number;
  close(): Promise<void>;
}

/** Relay 127.0.0.1:<port> to `target`, sending toward the client at `bytesPerSecond`. */
export async function startSlowLink(target: { host: string; port: number }, bytesPerSecond: number): Promise<SlowLink> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    // Toward the client: write a read, then pause for as long as those bytes take at the rate.
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      upstream.pause();
      setTimeout(() => upstream.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
