// Open, located root folders kept between reads: opening and locating a
// session root took two of the five thread-pool round trips of a `cat` on
// the hub mirror. A kept root is checked again on every use, at the same
// time as the first step below it (no round trip added): the root's path
// must still name the very folder held (same device and inode) and the
// kernel must still place that folder at the real root it was located at.
// A use whose check fails is done again from a freshly opened root, so a
// kept handle answers exactly what a fresh one would. Containment does not
// rest on these checks: every entry below is still located on its own handle
// (safe-open.ts). Linux only (the fd-link path); elsewhere every read opens
// its root afresh.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ContainedDir, fdLinksWork, type LinkScope } from './safe-open.js';

/** Roots kept open at most (one file descriptor each); the least recently used goes first. */
export const MAX_KEPT_ROOTS = 64;

interface Kept {
  dir: ContainedDir;
  dev: number;
  ino: number;
  /** Borrowers holding the handle now: it is closed only once they gave it back. */
  users: number;
  /** No longer handed out (stale, evicted or closed); closed when the last user gives it back. */
  retired: boolean;
}

/** A root lent for one walk. `current` resolves false when the kept handle turned out stale: the walk's answer must be dropped. */
export interface LentRoot {
  dir: ContainedDir;
  /** What the root's path names now (stat, links followed), when this use checked it; undefined for a root opened just now. */
  rootStat: Promise<Stats | undefined>;
  current: Promise<boolean>;
}

export class RootHandles {
  /** Keyed by the root path as given; Map order is the use order (oldest first). */
  private readonly kept = new Map<string, Kept>();
  private closed = false;

  constructor(private readonly max = MAX_KEPT_ROOTS) {}

  /**
   * The root folder `root`, opened (and kept) or lent from the kept ones.
   * Close the returned dir when done (a lent one is given back, not closed).
   */
  async borrow(root: string, scope: LinkScope | undefined): Promise<LentRoot> {
    const hit = this.kept.get(root);
    if (hit && hit.dir.linkScope === scope) {
      this.kept.delete(root); // re-inserted below: most recently used
      this.kept.set(root, hit);
      const rootStat = stat(root).catch(() => undefined);
      const current = Promise.all([rootStat, hit.dir.located().catch(() => undefined)]).then(([now, where]) => {
        const same = now !== undefined && now.dev === hit.dev && now.ino === hit.ino && where === hit.dir.realRoot;
        if (!same) this.retire(root, hit);
        return same;
      });
      return { dir: this.lend(hit), rootStat, current };
    }
    const dir = await ContainedDir.openRoot(root, scope);
    if (this.closed || !(await fdLinksWork())) return { dir, rootStat: Promise.resolve(undefined), current: Promise.resolve(true) };
    let st: Stats;
    try {
      st = await dir.stat();
    } catch (err) {
      await dir.close();
      throw err;
    }
    const entry: Kept = { dir, dev: st.dev, ino: st.ino, users: 0, retired: false };
    // Two first uses at once each opened one: the later replaces the earlier, which closes once given back.
    if (hit) this.retire(root, hit);
    this.kept.set(root, entry);
    while (this.kept.size > this.max) {
      const [oldest, e] = this.kept.entries().next().value as [string, Kept];
      this.retire(oldest, e);
    }
    return { dir: this.lend(entry), rootStat: Promise.resolve(st), current: Promise.resolve(true) };
  }

  /** Close every kept root (those lent out close when given back). */
  close(): void {
    this.closed = true;
    for (const [root, e] of [...this.kept]) this.retire(root, e);
  }

  /** Roots kept now, for tests. */
  get size(): number {
    return this.kept.size;
  }

  private lend(e: Kept): ContainedDir {
    e.users++;
    let given = false;
    return e.dir.lend(() => {
      if (given) return;
      given = true;
      e.users--;
      if (e.retired && e.users === 0) void e.dir.close();
    });
  }

  private retire(root: string, e: Kept): void {
    if (this.kept.get(root) === e) this.kept.delete(root);
    if (e.retired) return;
    e.retired = true;
    // Security: never closed while a walk may still open entries through its
    // /proc/self/fd link: the number could be reused by another open file.
    if (e.users === 0) void e.dir.close();
  }
}
