// In-process gate between mirror writes and skill promotions on the hub. A
// promotion holds its folder exclusively: writes already under it finish
// first, new ones are refused at once with SKILL_BUSY, and promotions of the
// same (or a nested) folder take their turns in arrival order. So a write either
// lands before the promotion validates and copies the folder, or is refused;
// it never lands in the folder after the copy (and is lost with the folder
// set aside) or in the library through the fresh link. One gate per hub;
// another hub on the same mirror would need a shared lock (not supported).
import { MeshError } from '../../errors.js';

/** Default time a promotion waits for writes in progress under its folder, ms. */
export const GATE_WAIT_MS = 60_000;

/**
 * Segments of a session-relative path (already normalized), folded for
 * comparison. Security: case and Unicode form are folded so that
 * "Skills/Hello/x" meets the gate of "skills/hello" on file systems that
 * treat them as one folder (macOS, Windows); on others it is refused a moment
 * too often, never let through.
 */
export function gateSegments(rel: string): string[] {
  return rel
    .normalize('NFC')
    .toLowerCase()
    .split(/[\\/]/)
    .filter((s) => s !== '' && s !== '.');
}

/** True when `rel` is `folder` itself or below it; both are session-relative paths. */
export function isUnderFolder(folder: string, rel: string): boolean {
  const f = gateSegments(folder);
  const r = gateSegments(rel);
  return r.length >= f.length && f.every((segment, i) => segment === r[i]);
}

interface Entry {
  scope: string;
  rel: string;
}

interface Held extends Entry {
  /** Arrival order among exclusive holders. */
  seq: number;
}

function sameScope(a: Entry, b: Entry): boolean {
  return a.scope.toLowerCase() === b.scope.toLowerCase();
}

/** One folder is the other or below it: holding both at once would overlap. */
function overlaps(a: Entry, b: Entry): boolean {
  return sameScope(a, b) && (isUnderFolder(a.rel, b.rel) || isUnderFolder(b.rel, a.rel));
}

export class PathGate {
  // Guarded by the event loop: every change below happens synchronously
  // between awaits, so a check and the registration that follows it cannot
  // interleave with another caller.
  /** Writes in progress, one entry each. */
  private readonly writes = new Set<Entry>();
  /** Folders held, or being taken, exclusively. */
  private readonly folders = new Set<Held>();
  private nextSeq = 0;
  /** Called whenever a write ends or a folder is released. */
  private readonly waiters = new Set<() => void>();

  /**
   * Run `fn`, a write of `rel` in `scope` (a session). Refused at once with
   * SKILL_BUSY when `rel` is under a folder held exclusively, unless a write
   * of that very path is in progress (a step of it, such as a push's mirror
   * commit, which must not be refused by a promotion that waits for it):
   * a holder runs only once no write under it is left, so a write admitted
   * while it waits still lands before it, never after.
   */
  async write<T>(scope: string, rel: string, fn: () => Promise<T>): Promise<T> {
    const entry = { scope, rel };
    const held = [...this.folders].find((f) => sameScope(f, entry) && isUnderFolder(f.rel, rel));
    const joining = [...this.writes].some((w) => sameScope(w, entry) && isUnderFolder(w.rel, rel) && isUnderFolder(rel, w.rel));
    // Security: a write racing a promotion would be acknowledged and then lost
    // with the set-aside folder, or land in the library through the new link.
    if (held && !joining) {
      throw new MeshError('SKILL_BUSY', `"${rel}" is inside "${held.rel}", a skill being promoted; write again in a moment`, {
        path: rel,
        skill: held.rel,
      });
    }
    this.writes.add(entry);
    try {
      return await fn();
    } finally {
      this.writes.delete(entry);
      this.wakeAll();
    }
  }

  /**
   * Run `fn` holding `folder` in `scope` exclusively: new writes under it are
   * refused from now on, and `fn` starts once the writes already in progress
   * under it, and the holders of overlapping folders that came earlier, have
   * finished. Refused with SKILL_BUSY when they have not within `waitMs`
   * (default GATE_WAIT_MS).
   */
  async exclusive<T>(scope: string, folder: string, fn: () => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
    const entry: Held = { scope, rel: folder, seq: this.nextSeq++ };
    this.folders.add(entry);
    try {
      await this.drain(entry, options.waitMs ?? GATE_WAIT_MS);
      return await fn();
    } finally {
      this.folders.delete(entry);
      this.wakeAll();
    }
  }

  /** Number of writes in progress under `folder` (for tests and status). */
  writesUnder(scope: string, folder: string): number {
    const entry = { scope, rel: folder };
    return [...this.writes].filter((w) => sameScope(w, entry) && isUnderFolder(folder, w.rel)).length;
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** An earlier exclusive holder of a folder overlapping `entry`'s: it goes first (no two wait for each other). */
  private earlierOverlapping(entry: Held): boolean {
    return [...this.folders].some((f) => f.seq < entry.seq && overlaps(f, entry));
  }

  private async drain(entry: Held, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    // Bounded: each turn ends when a write ends, a folder is released, or at the deadline.
    while (this.writesUnder(entry.scope, entry.rel) > 0 || this.earlierOverlapping(entry)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new MeshError('SKILL_BUSY', `writes or another promotion under "${entry.rel}" did not finish within ${waitMs} ms; promote again in a moment`, {
          skill: entry.rel,
          waitMs,
        });
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }
}
