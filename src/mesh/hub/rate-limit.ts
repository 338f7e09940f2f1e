// A token bucket per key: how often one node may do something (join a
// session, make the hub write a log line). Pure apart from the clock, which
// is passed in so tests need no waiting.

export interface RateLimit {
  /** Events allowed in a burst. */
  burst: number;
  /** Sustained events per minute. */
  perMinute: number;
}

/** Warnings one node can cause in the hub's log. */
export const NODE_LOG_RATE: RateLimit = { burst: 50, perMinute: 60 };

interface Bucket {
  tokens: number;
  at: number;
  /** Events refused since the last one allowed. */
  refused: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t, refused: 0 };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) * this.limit.perMinute) / 60_000);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    b.refused++;
    return false;
  }

  /** Events refused for `key` since the last call to this method (for a summary line). */
  drainRefused(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const n = b.refused;
    b.refused = 0;
    return n;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
