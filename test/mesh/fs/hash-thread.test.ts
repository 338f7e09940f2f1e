// The hash thread: its digests agree with node:crypto's for any prefix of a
// buffer, many at once, and each buffer comes back with its bytes; its CPU
// is spent on a thread below the caller's priority, not on the caller's
// thread (seen in the kernel's per-thread figures, /proc/self/task); memory
// that goes through it is collected as usual; and an idle hash thread never
// keeps a process alive.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newBlake3 } from '../../../src/mesh/fs/blake3.js';
import { sha256OnThread } from '../../../src/mesh/fs/hash-thread.js';
import { BULK_THREAD_NICE } from '../../../src/mesh/thread-priority.js';
import { threadsOf, type ThreadFigures } from '../../support/threads.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const linux = existsSync('/proc/self/task');

describe('sha256OnThread', () => {
  it('agrees with node:crypto for any prefix of a buffer, many calls in flight at once, and gives each buffer back whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.uint8Array({ maxLength: 70_000 }), fc.nat({ max: 4096 })), { minLength: 1, maxLength: 8 }), async (inputs) => {
        const buffers = inputs.map(([bytes, tail]) => {
          const buffer = Buffer.allocUnsafeSlow(bytes.length + tail);
          buffer.fill(0xa5); // bytes past the prefix must not count
          buffer.set(bytes);
          return { buffer, length: bytes.length, copy: Buffer.from(buffer) };
        });
        const results = await Promise.all(buffers.map((b) => sha256OnThread(b.buffer, b.length)));
        expect(results.map((r) => r.sha256)).toEqual(buffers.map((b) => sha256(b.copy.subarray(0, b.length))));
        results.forEach((r, i) => expect(r.buffer.equals(buffers[i]!.copy)).toBe(true));
      }),
      { numRuns: 60 },
    );
  });

  it("gives BLAKE3 beside SHA-256 when asked, on the thread or not, equal to the spec's vectors and to the caller's own", async () => {
    // From the BLAKE3 reference's test vectors: the empty input and "abc".
    const spec: Array<[string, string]> = [
      ['', 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
      ['abc', '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'],
    ];
    for (const [text, hex] of spec) {
      const owned = Buffer.allocUnsafeSlow(text.length + 3).fill(9);
      owned.write(text);
      expect((await sha256OnThread(owned, text.length, true)).blake3).toBe(hex);
      expect((await sha256OnThread(Buffer.from(text), text.length, true)).blake3).toBe(hex);
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300_000 }), async (bytes) => {
        const owned = Buffer.allocUnsafeSlow(bytes.length);
        owned.set(bytes);
        const r = await sha256OnThread(owned, bytes.length, true);
        const own = newBlake3()!;
        own.update(bytes);
        expect([r.sha256, r.blake3]).toEqual([sha256(bytes), own.digest('hex')]);
      }),
      { numRuns: 30 },
    );
    expect((await sha256OnThread(Buffer.allocUnsafeSlow(8), 8)).blake3).toBeUndefined();
  });

  it('hashes a buffer that does not own its memory too (through WebCrypto), and leaves it as it was', async () => {
    const pooled = Buffer.from('a small buffer from the shared pool');
    const view = Buffer.allocUnsafeSlow(64).fill(7).subarray(8, 40);
    for (const b of [pooled, view]) {
      const r = await sha256OnThread(b);
      expect(r.sha256).toBe(sha256(b));
      expect(r.buffer).toBe(b);
    }
    await expect(sha256OnThread(pooled, pooled.length + 1)).rejects.toThrow(RangeError);
  });

  it.skipIf(!linux)("spends the digest's CPU on a thread below the caller's priority, not on the caller's thread", async () => {
    let data: Buffer = Buffer.allocUnsafeSlow(64 * 1024 * 1024).fill(1);
    const expected = sha256(data);
    data = (await sha256OnThread(data, 16)).buffer; // the thread exists from here on
    const caller = process.pid; // vitest's forks pool: the test runs on the process's main thread
    const before = new Map(threadsOf().map((t) => [t.tid, t.runMs]));
    const digests: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await sha256OnThread(data);
      digests.push(r.sha256);
      data = r.buffer;
    }
    const after = threadsOf();
    expect(digests).toEqual(Array(4).fill(expected));
    const spent = (t: ThreadFigures) => t.runMs - (before.get(t.tid) ?? 0);
    const hashThreads = after.filter((t) => t.nice === Math.min(19, getPriority(0) + BULK_THREAD_NICE) && t.tid !== caller);
    expect(hashThreads.length, 'a thread at the bulk priority').toBeGreaterThan(0);
    const hashCpu = Math.max(...hashThreads.map(spent));
    const callerCpu = spent(after.find((t) => t.tid === caller)!);
    // 256 MiB of SHA-256 is 150-300 ms of CPU; the caller only posts four messages.
    expect(hashCpu, 'CPU of the hash thread, ms').toBeGreaterThan(4 * callerCpu);
    expect(after.find((t) => t.tid === caller)!.nice, "the caller's own priority is unchanged").toBe(getPriority(0));
  });

  it('memory that goes through the thread is collected: 1.5 GiB of 4 MiB buffers, hashed and dropped, leave the process small', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let i = 0; i < 384; i++) {
      const buffer = Buffer.allocUnsafeSlow(4 * 1024 * 1024).fill(i);
      await sha256OnThread(buffer);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    // Buffers nobody counted (shared memory grew a process by 1.5 GiB here) would show as growth close to the total.
    expect((peak - before) / 2 ** 20, 'RSS growth, MiB').toBeLessThan(400);
  });

  it('an idle hash thread does not keep a process alive', async () => {
    const module = fileURLToPath(new URL('../../../src/mesh/fs/hash-thread.ts', import.meta.url));
    const script = `const { sha256OnThread } = await import(${JSON.stringify(module)}); const b = Buffer.allocUnsafeSlow(8).fill(0); b.write('hashed'); console.log((await sha256OnThread(b)).sha256);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // A process kept alive by its hash thread would never exit: give it 20 s, then call it stuck.
    const stuck = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(stuck);
    expect(code, 'exit code (null: killed, still running after its work was done)').toBe(0);
    const expected = Buffer.alloc(8);
    expected.write('hashed');
    expect(out.trim()).toBe(sha256(expected));
  });
});
