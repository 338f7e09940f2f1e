// What happened after what, within one hub process, is read from the
// monotonic clock: a wall-clock step (NTP, an operator's `date -s`, a virtual
// machine resumed) must not reorder a delivery and a manifest, or two writes.
// Wall-clock times stay where they are shown to people or persisted.
import { performance } from 'node:perf_hooks';

/** Milliseconds on a clock that never goes backwards (not comparable across processes). */
export function monotonicMs(): number {
  return performance.now();
}

let lastOrder = 0;

/** A number larger than every one handed out before in this process: creation order without clocks. */
export function nextOrder(): number {
  return ++lastOrder;
}
