// The hub's bulk threads (the fetch worker, the hash thread) run below the
// main thread's priority. Linux gives each thread its own nice value, and
// the main thread is the one MCP calls and control streams wait on: on a
// busy machine it gets a core first, and bulk work takes what is left.
import { getPriority, setPriority } from 'node:os';

/** How many nice steps a bulk thread lowers itself below the thread that starts it. */
export const BULK_THREAD_NICE = 5;

/** Lower the calling thread's priority by `steps` where the system allows; a refusal changes nothing else. */
export function lowerThreadPriority(steps: number): void {
  try {
    // On Linux, pid 0 is the calling thread only: the rest of the process keeps its priority.
    setPriority(0, Math.min(19, getPriority(0) + steps));
  } catch {
    // Not permitted or not supported: the thread keeps its priority.
  }
}
