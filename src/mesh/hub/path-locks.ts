// Per-path locks on the hub mirror: a write, an edit's read-modify-write, a
// push's final rename, rm and mv of the same session path run one at a time,
// in the order they asked. In memory: one hub owns its mirror.
export class PathLocks {
  /** The tail of each path's queue: the promise the next holder waits for. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Run `fn` holding the lock of every key (taken in sorted order, so two callers never deadlock). */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.take(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Keys held or waited for right now (for tests and status). */
  get size(): number {
    return this.tails.size;
  }

  private async take(key: string): Promise<() => void> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    return () => {
      release();
      // The last holder leaves no entry behind: the map holds only paths in use.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/** The lock key of a session path. */
export const pathKey = (session: string, rel: string): string => `${session}\0${rel}`;
