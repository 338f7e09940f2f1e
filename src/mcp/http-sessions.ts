// The open MCP HTTP sessions: a cap that refuses instead of evicting, idle
// expiry, and a count of each session's running requests so that a session
// in the middle of a long call (or holding its event stream) never expires.
import type { Logger } from '../log.js';
import type { HttpLimits } from './http-limits.js';

export interface SessionClock {
  /** When the session last started or finished a request, ms since the epoch. */
  lastSeen: number;
  /** True once a request followed `initialize`. */
  established: boolean;
  /** Requests of this session whose response is still open. */
  active: number;
}

export type ExpiryLimits = Pick<HttpLimits, 'sessionIdleMs' | 'sessionInitIdleMs'>;

/**
 * Whether a session is due to be closed at `now`: never while a request of
 * it runs; after `sessionInitIdleMs` if nothing followed its `initialize`
 * (a flood of bare `initialize` calls frees its slots quickly); otherwise
 * after `sessionIdleMs` without a request.
 */
export function isSessionExpired(s: SessionClock, now: number, limits: ExpiryLimits): boolean {
  if (s.active > 0) return false;
  return now - s.lastSeen >= (s.established ? limits.sessionIdleMs : limits.sessionInitIdleMs);
}

/** How often expiry is checked, ms: a quarter of the shortest idle limit, within [100 ms, 15 s]. */
export function sweepPeriodMs(limits: ExpiryLimits): number {
  return Math.min(15_000, Math.max(100, Math.floor(Math.min(limits.sessionIdleMs, limits.sessionInitIdleMs) / 4)));
}

/** A session slot taken by an `initialize` in progress; `fill` turns it into an open session. */
export interface SessionSlot<T> {
  fill(id: string, value: T): void;
  /** Give the slot back if it was never filled; idempotent. */
  release(): void;
}

interface Entry<T> extends SessionClock {
  value: T;
}

/**
 * Guarded by the event loop: every method runs on it; `pending` counts the
 * slots reserved by `initialize` requests still running, so concurrent
 * `initialize` calls cannot overshoot the cap between check and insert.
 */
export class HttpSessions<T extends { close(): Promise<void> }> {
  private readonly open = new Map<string, Entry<T>>();
  private pending = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: Pick<HttpLimits, 'maxSessions' | 'sessionIdleMs' | 'sessionInitIdleMs'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(), sweepPeriodMs(limits));
    this.timer.unref();
  }

  get size(): number {
    return this.open.size;
  }

  /** True when no new session can be opened right now. */
  get full(): boolean {
    return this.open.size + this.pending >= this.limits.maxSessions;
  }

  /** Take a slot for a new session, or undefined at the cap (nothing is evicted). */
  reserveSlot(): SessionSlot<T> | undefined {
    if (this.full) return undefined;
    this.pending++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.pending--;
    };
    return {
      fill: (id, value) => {
        release();
        this.open.set(id, { value, lastSeen: this.now(), established: false, active: 0 });
      },
      release,
    };
  }

  get(id: string): T | undefined {
    return this.open.get(id)?.value;
  }

  /** A request of session `id` starts; call the returned function when its response ends. */
  begin(id: string): () => void {
    const entry = this.open.get(id);
    if (!entry) return () => {};
    entry.established = true;
    entry.active++;
    entry.lastSeen = this.now();
    let running = true;
    return () => {
      if (!running) return;
      running = false;
      entry.active--;
      entry.lastSeen = this.now();
    };
  }

  /** Drop `id` without closing it (its transport closed already). */
  forget(id: string): void {
    this.open.delete(id);
  }

  async close(id: string, reason: string): Promise<void> {
    const entry = this.open.get(id);
    if (!entry) return;
    this.open.delete(id);
    this.log.info({ mcpSession: id, reason }, 'MCP HTTP session closed');
    await entry.value.close().catch((err: unknown) => this.log.debug({ err: String(err) }, 'closing an MCP session failed'));
  }

  /** Close every expired session; returns their ids. */
  sweep(): string[] {
    const now = this.now();
    const expired = [...this.open].filter(([, e]) => isSessionExpired(e, now, this.limits)).map(([id]) => id);
    for (const id of expired) {
      const established = this.open.get(id)?.established;
      void this.close(id, established ? 'idle' : 'nothing followed initialize');
    }
    return expired;
  }

  /** Stop the expiry timer and close every session. */
  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.open.keys()].map((id) => this.close(id, 'server closing')));
  }
}
