// A token bucket per key: how often one node (or peer address) may do
// something (join a session, make the hub write a log line). Pure apart from
// the clock, which is passed in so tests need no waiting.

export interface RateLimit {
  /** Events allowed in a burst. */
  burst: number;
  /** Sustained events per minute. */
  perMinute: number;
}

/** Warnings one node can cause in the hub's log. */
export const NODE_LOG_RATE: RateLimit = { burst: 50, perMinute: 60 };

/** Buckets kept before full ones are dropped: keys come from peers, so their number must not grow without end. */
const PRUNE_ABOVE = 4_096;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Size at which the next prune runs: doubled after one that kept many, so pruning stays linear overall. */
  private pruneAt = PRUNE_ABOVE;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const t = this.now();
    if (this.buckets.size > this.pruneAt) this.prune(t);
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    b.tokens = this.refilled(b, t);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return false;
  }

  /** How many buckets are kept (for tests of the bound). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(b: Bucket, t: number): number {
    return Math.min(this.limit.burst, b.tokens + ((t - b.at) * this.limit.perMinute) / 60_000);
  }

  /** A bucket that has refilled to its burst is the same as no bucket: drop it. */
  private prune(t: number): void {
    for (const [key, b] of this.buckets) if (this.refilled(b, t) >= this.limit.burst) this.buckets.delete(key);
    this.pruneAt = Math.max(PRUNE_ABOVE, 2 * this.buckets.size);
  }
}
