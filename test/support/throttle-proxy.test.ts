// Behaviour of the throttling proxy used by isolation tests and benchmarks:
// it slows both directions, keeps bytes intact, bounds its buffering and frees its port.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MeshError } from '../../src/errors.js';
import { startThrottleProxy, type ThrottleProxy } from './throttle-proxy.js';

const MiB = 1024 * 1024;

/** A loopback server running `onConn` for each connection; closed by the cleanup list. */
async function startTarget(onConn: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConn);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** Connect to `port`, optionally send `payload` then end, and collect everything received. */
function exchange(port: number, payload?: Buffer): Promise<{ data: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const parts: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => {
      if (payload) socket.end(payload);
    });
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('end', () => resolve({ data: Buffer.concat(parts), ms: performance.now() - started }));
    socket.on('error', reject);
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function proxyTo(server: net.Server, bytesPerSecond: number): Promise<ThrottleProxy> {
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: portOf(server) }, bytesPerSecond });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('throttle proxy', () => {
  it('slows 3 MiB at 4 MiB/s to well over half a second, byte for byte', async () => {
    const payload = randomBytes(3 * MiB);
    const server = await startTarget((s) => s.end(payload));
    const proxy = await proxyTo(server, 4 * MiB);

    const direct = await exchange(portOf(server));
    const throttled = await exchange(proxy.port);

    expect(throttled.data.equals(payload)).toBe(true);
    expect(throttled.ms).toBeGreaterThanOrEqual(500);
    expect(throttled.ms).toBeLessThan(5_000);
    expect(throttled.ms).toBeGreaterThan(direct.ms * 2);
    expect(proxy.stats()).toEqual({ up: 0, down: 3 * MiB });
  });

  // Regression: once the bucket ran dry the pump looped on tiny refills
  // instead of waiting a tick, burning a whole core and starving the nodes.
  it('waits for tokens instead of spinning while throttled', async () => {
    const payload = randomBytes(1 * MiB);
    const server = await startTarget((s) => s.end(payload));
    const proxy = await proxyTo(server, 1 * MiB);
    const cpuBefore = process.cpuUsage();
    const { data, ms } = await exchange(proxy.port);
    const cpu = process.cpuUsage(cpuBefore);
    expect(data.equals(payload)).toBe(true);
    // Moving 1 MiB costs milliseconds of CPU; a spinning pump costs the whole wall time.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(ms * 0.5);
  });

  it('throttles the upload direction too (echo: up, then down)', async () => {
    const payload = randomBytes(2 * MiB);
    const server = await startTarget((s) => s.pipe(s));
    const proxy = await proxyTo(server, 4 * MiB);

    const { data, ms } = await exchange(proxy.port, payload);

    expect(data.equals(payload)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(400); // 2 MiB each way, pipelined, at 4 MiB/s
    expect(proxy.stats()).toEqual({ up: 2 * MiB, down: 2 * MiB });
  });

  it('applies a new rate while a transfer runs', async () => {
    const payload = randomBytes(2 * MiB);
    const server = await startTarget((s) => s.end(payload));
    const proxy = await proxyTo(server, 256 * 1024); // 8 s at this rate
    setTimeout(() => proxy.setRate(Infinity), 200);

    const { data, ms } = await exchange(proxy.port);

    expect(data.equals(payload)).toBe(true);
    expect(ms).toBeLessThan(3_000);
  });

  it('does not read ahead of a stalled link (bounded buffering)', async () => {
    const server = await startTarget((s) => s.resume());
    const proxy = await proxyTo(server, 0);
    const socket = net.connect(proxy.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await new Promise<void>((r) => socket.once('connect', r));

    socket.write(Buffer.alloc(32 * MiB));
    await new Promise((r) => setTimeout(r, 300));

    expect(proxy.stats().up).toBe(0);
    // The kernel takes a few MiB at most; the rest must stay queued in the sender.
    expect(socket.writableLength).toBeGreaterThan(16 * MiB);
  });

  it('corrupts exactly the byte it is told to', async () => {
    const payload = randomBytes(256 * 1024);
    const server = await startTarget((s) => s.end(payload));
    const proxy = await proxyTo(server, Infinity);
    proxy.corruptNext('down', 100_000);

    const { data } = await exchange(proxy.port);

    expect(data.length).toBe(payload.length);
    const diff = [...data.keys()].filter((i) => data[i] !== payload[i]);
    expect(diff).toEqual([100_000]);
    expect(data[100_000]).toBe(payload[100_000]! ^ 0xff);
  });

  it('cutConnections() drops the link but accepts new connections', async () => {
    const server = await startTarget((s) => s.on('data', () => s.end('pong')));
    const proxy = await proxyTo(server, Infinity);
    const first = net.connect(proxy.port, '127.0.0.1');
    first.on('error', () => undefined);
    await new Promise<void>((r) => first.once('connect', r));
    const dropped = new Promise<void>((r) => first.once('close', () => r()));
    await new Promise((r) => setTimeout(r, 50)); // let the proxy dial the target

    proxy.cutConnections();
    await dropped;

    const { data } = await exchange(proxy.port, Buffer.from('ping'));
    expect(data.toString()).toBe('pong');
  });

  it('close() drops open connections and frees the port', async () => {
    const server = await startTarget(() => undefined); // holds connections open
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const proxy = await startThrottleProxy({ target: { host: '127.0.0.1', port: portOf(server) }, bytesPerSecond: MiB });
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', r));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));

    await proxy.close();
    await closed;

    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(proxy.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((r) => again.close(() => r()));
  });

  it('refuses a non-loopback listen address', async () => {
    const attempt = startThrottleProxy({ target: { host: '127.0.0.1', port: 1 }, bytesPerSecond: MiB, listenHost: '0.0.0.0' });
    await expect(attempt).rejects.toBeInstanceOf(MeshError);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
