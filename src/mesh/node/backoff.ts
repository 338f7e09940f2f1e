// Reconnect delays for a node agent: exponential with jitter, so a fleet that
// lost its hub does not come back in one synchronized wave.

export interface BackoffPolicy {
  /** First delay, ms. Default 1,000. */
  initialMs: number;
  /** Growth per attempt. Default 1.6. */
  factor: number;
  /** Cap, ms. Default 30,000. */
  maxMs: number;
  /** Relative jitter: the delay is drawn from [d*(1-j), d*(1+j)], then capped. Default 0.2. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, factor: 1.6, maxMs: 30_000, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0-based); `random` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: number = Math.random()): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const jittered = base * (1 - policy.jitter + 2 * policy.jitter * random);
  return Math.round(Math.min(policy.maxMs, Math.max(0, jittered)));
}
