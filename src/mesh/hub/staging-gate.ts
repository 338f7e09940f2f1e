// How far a transfer's staging has come, for the readers that wait on it:
// a Fetch stream asking for chunk k waits here until k is staged (durable
// and its hash stored), and a delivery waits for the whole file before it
// compares the node's file hash with the hub's.
import { MeshError } from '../../errors.js';

interface Waiter {
  index: number;
  resolve(): void;
  reject(err: Error): void;
}

export class StagingGate {
  private waiters: Waiter[] = [];
  private error: Error | undefined;
  private finished = false;

  constructor(
    /** Chunks in all. */
    readonly total: number,
    /** Chunks already staged (a push resumed after a restart). */
    private stagedCount = 0,
  ) {
    if (stagedCount >= total) this.finished = true;
  }

  get staged(): number {
    return this.stagedCount;
  }

  get complete(): boolean {
    return this.finished;
  }

  get failed(): Error | undefined {
    return this.error;
  }

  /** Chunks below `count` are staged. */
  advance(count: number): void {
    this.stagedCount = Math.max(this.stagedCount, Math.min(count, this.total));
    this.wake();
  }

  /** Every chunk is staged and the file hash is known. */
  finish(): void {
    this.stagedCount = this.total;
    this.finished = true;
    this.wake();
  }

  /** Staging ended without the whole file: every waiter gets `err`. */
  fail(err: Error): void {
    this.error = err;
    this.wake();
  }

  /** Resolves once chunk `index` is staged (`index === total`: once all are); rejects when staging failed or after `timeoutMs`. */
  whenStaged(index: number, timeoutMs: number): Promise<void> {
    return this.wait(index, timeoutMs);
  }

  /** Resolves once the whole file is staged. */
  whenComplete(timeoutMs: number): Promise<void> {
    return this.wait(this.total, timeoutMs);
  }

  private ready(index: number): boolean {
    return index >= this.total ? this.finished : index < this.stagedCount;
  }

  private wait(index: number, timeoutMs: number): Promise<void> {
    if (this.ready(index)) return Promise.resolve();
    if (this.error) return Promise.reject(this.error);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new MeshError('NODE_TIMEOUT', `chunk ${index} was not staged within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter = {
        index,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.ready(w.index)) w.resolve();
      else if (this.error) w.reject(this.error);
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
