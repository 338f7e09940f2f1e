// Keeps a node agent's V8 heap near what it holds. The agent lives next to
// whatever the user works on, mostly idle; what it allocates comes in bursts
// (a verification scan of 100,000 files, a full report), and by default V8
// keeps the young generation it grew under a burst (up to 32 MiB) and old
// space sized for it, and an idle process collects nothing. Measured on a
// node with 100,000 files, RSS idle after its first scan: 115 MiB with the
// defaults, 98-117 MiB with either flag below alone, 88 MiB with both; the
// scan took no longer.
//
// Set at run time (`v8.setFlagsFromString`) rather than on the command line
// so that `mesh-assistant node` needs neither a wrapper process (one more
// Node.js, ~40 MiB) nor NODE_OPTIONS: V8 reads both flags when it sizes its
// heap, not only at start-up.
import v8 from 'node:v8';

/** V8 flags the node agent runs with. */
export const NODE_HEAP_FLAGS = [
  // The young generation stays at its initial size (1 MiB semi-spaces) instead of doubling under a burst.
  '--semi-space-growth-factor=1',
  // Every full collection also shrinks and compacts the heap, and old space grows by smaller steps.
  '--optimize-for-size',
] as const;

let applied = false;

/** Apply NODE_HEAP_FLAGS to this process (idempotent). Call before the agent starts its work. */
export function keepHeapSmall(): void {
  if (applied) return;
  for (const flag of NODE_HEAP_FLAGS) v8.setFlagsFromString(flag);
  applied = true;
}
