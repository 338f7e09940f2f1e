// A thread's CPU time and its time waiting for a core, from the kernel's
// scheduler statistics (/proc/<pid>/task/<tid>/schedstat, Linux): an
// observer outside the process, which tells a loop busy with its own work
// from a loop that is ready but waiting while other threads hold the cores.
import { readFile } from 'node:fs/promises';

export interface ThreadSched {
  /** Time on a CPU, ms. */
  runMs: number;
  /** Time runnable but waiting in a run queue, ms. */
  waitMs: number;
}

/** The figures of thread `tid` of process `pid` (default its main thread), or undefined where the kernel does not keep them. */
export async function threadSched(pid: number, tid = pid): Promise<ThreadSched | undefined> {
  try {
    const [run, wait] = (await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')).trim().split(/\s+/).map(Number);
    if (!Number.isFinite(run) || !Number.isFinite(wait)) return undefined;
    return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return undefined;
  }
}

/** What a thread did between two readings. */
export function schedSince(before: ThreadSched | undefined, after: ThreadSched | undefined): ThreadSched | undefined {
  if (!before || !after) return undefined;
  return { runMs: after.runMs - before.runMs, waitMs: after.waitMs - before.waitMs };
}
