// The threads of a process as the kernel reports them (Linux /proc): each
// thread's nice value and CPU time, read from outside the code under test.
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadFigures {
  tid: number;
  nice: number;
  /** CPU time, ms. */
  runMs: number;
}

/** Every thread of process `pid` (default this one); a thread that ends while being read is left out. */
export function threadsOf(pid: number | 'self' = 'self'): ThreadFigures[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((t) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const runNs = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      return [{ tid: Number(t), nice: Number(fields[16]), runMs: runNs / 1e6 }];
    } catch {
      return [];
    }
  });
}
