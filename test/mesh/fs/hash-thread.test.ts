// The hash thread: its digests agree with node:crypto's for any slice of
// shared memory, many at once; its CPU is spent on a thread below the
// caller's priority, not on the caller's thread (seen in the kernel's
// per-thread figures, /proc/self/task); and an idle hash thread never keeps
// a process alive.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocShared, sha256HexOnThread } from '../../../src/mesh/fs/hash-thread.js';
import { BULK_THREAD_NICE } from '../../../src/mesh/thread-priority.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const linux = existsSync('/proc/self/task');

interface TaskFigures {
  tid: number;
  nice: number;
  /** CPU time, ms. */
  runMs: number;
}

/** Every thread of this process, as the kernel reports it. */
function tasks(): TaskFigures[] {
  return readdirSync('/proc/self/task').flatMap((t) => {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const runNs = Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      return [{ tid: Number(t), nice: Number(fields[16]), runMs: runNs / 1e6 }];
    } catch {
      return []; // a thread that ended meanwhile
    }
  });
}

describe('sha256HexOnThread', () => {
  it('agrees with node:crypto for any slice of shared memory, many calls in flight at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.uint8Array({ maxLength: 70_000 }), fc.nat({ max: 4096 })), { minLength: 1, maxLength: 8 }), async (inputs) => {
        const slices = inputs.map(([bytes, offset]) => {
          const shared = allocShared(offset + bytes.length + 7);
          shared.fill(0xa5); // bytes around the slice must not count
          shared.set(bytes, offset);
          return shared.subarray(offset, offset + bytes.length);
        });
        const digests = await Promise.all(slices.map((s) => sha256HexOnThread(s)));
        expect(digests).toEqual(slices.map((s) => sha256(s)));
      }),
      { numRuns: 60 },
    );
  });

  it('hashes a buffer that is not shared too (through WebCrypto)', async () => {
    const plain = Buffer.from('not shared memory');
    expect(await sha256HexOnThread(plain)).toBe(sha256(plain));
  });

  it.skipIf(!linux)("spends the digest's CPU on a thread below the caller's priority, not on the caller's thread", async () => {
    const data = allocShared(64 * 1024 * 1024);
    data.fill(1);
    await sha256HexOnThread(data.subarray(0, 16)); // the thread exists from here on
    const caller = process.pid; // vitest's forks pool: the test runs on the process's main thread
    const expected = sha256(data);
    const before = new Map(tasks().map((t) => [t.tid, t.runMs]));
    const digests: string[] = [];
    for (let i = 0; i < 4; i++) digests.push(await sha256HexOnThread(data));
    const after = tasks();
    expect(digests).toEqual(Array(4).fill(expected));
    const spent = (t: TaskFigures) => t.runMs - (before.get(t.tid) ?? 0);
    const hashThreads = after.filter((t) => t.nice === Math.min(19, getPriority(0) + BULK_THREAD_NICE) && t.tid !== caller);
    expect(hashThreads.length, 'a thread at the bulk priority').toBeGreaterThan(0);
    const hashCpu = Math.max(...hashThreads.map(spent));
    const callerCpu = spent(after.find((t) => t.tid === caller)!);
    // 256 MiB of SHA-256 is 150-300 ms of CPU; the caller only posts four messages.
    expect(hashCpu, 'CPU of the hash thread, ms').toBeGreaterThan(4 * callerCpu);
    expect(after.find((t) => t.tid === caller)!.nice, "the caller's own priority is unchanged").toBe(getPriority(0));
  });

  it('an idle hash thread does not keep a process alive', async () => {
    const module = fileURLToPath(new URL('../../../src/mesh/fs/hash-thread.ts', import.meta.url));
    const script = `const { allocShared, sha256HexOnThread } = await import(${JSON.stringify(module)}); const b = allocShared(8); b.write('hashed'); console.log(await sha256HexOnThread(b));`;
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
