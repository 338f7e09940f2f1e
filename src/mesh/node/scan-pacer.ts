// Keeps a background scan to a share of a core: after each slice of work
// (wall time, I/O waits included, so it errs on the idle side) it rests long
// enough that work / (work + rest) stays at `share`. A verification scan of
// 100,000 files then takes longer, and the machine never notices it.

/** Work before the first rest, ms: short enough to stay invisible, long enough to be cheap. */
const SLICE_MS = 20;

export class ScanPacer {
  private sliceStart = performance.now();

  /** @param share fraction of one core the scan may use, 0 < share <= 1. */
  constructor(private readonly share: number) {}

  /** Call between units of work; resolves at once, or after a rest. */
  async pace(): Promise<void> {
    const busy = performance.now() - this.sliceStart;
    if (busy < SLICE_MS) return;
    const rest = this.share >= 1 ? 0 : (busy * (1 - this.share)) / this.share;
    await new Promise((r) => setTimeout(r, rest));
    this.sliceStart = performance.now();
  }

  /** Start a new slice after the caller waited for something else (the work queue). */
  restart(): void {
    this.sliceStart = performance.now();
  }
}
