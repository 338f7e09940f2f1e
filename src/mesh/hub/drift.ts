// Drift: a node's copy of a session differs from the hub's mirror. What a
// node reports (a whole manifest, the pages of a stored one, or a delta of
// changed and removed paths) is compared with the mirror path by path; what
// to do about each path is decided by `decideDrift` (drift-rules.ts): log a
// drift event, and by default repair the node from the mirror (the mirror is
// authoritative). Files only the node has are reported, never deleted.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { diffManifests, HashCache, scanManifest, type ManifestEntry } from '../fs/manifest.js';
import { comparePaths } from '../fs/path-order.js';
import { openExistingInside } from '../fs/safe-walk.js';
import type { ManifestReport } from '../protocol/frames.js';
import type { StoredEntry } from '../store/manifest-store.js';
import { decideDrift, type PathState } from './drift-rules.js';
import type { TransferManager } from './transfer-manager.js';
import { monotonicMs } from '../monotonic.js';

export type DriftMode = 'repair' | 'report';

export interface DriftEvent {
  at: number;
  node: string;
  session: string;
  path: string;
  kind: 'missing' | 'changed' | 'extra';
  /** 'deferred': over the node's repair budget; checked again with its next manifest. */
  action: 'repairing' | 'reported' | 'deferred';
}

/** Repairs (each a staged copy of one file) that one node may have queued at once. */
export const MAX_REPAIRS_PER_NODE = 64;
/** Bytes of repairs one node may have queued at once: bounds the staging one node can make the hub hold. */
export const MAX_REPAIR_BYTES_PER_NODE = 256 * 1024 * 1024;

const KEEP_EVENTS = 200;

/** When a report arrived and what the mesh was delivering to that node then. */
export interface ReceivedAt {
  /** On the monotonic clock (`monotonicMs`), like every time it is compared with. */
  receivedAt: number;
  pendingAtReceipt: Set<string>;
  /**
   * Removals and moves settled since this time count as settling (default
   * `receivedAt`): a manifest stored before them may still name their paths.
   */
  opsSince?: number;
}

/** The differing paths of a whole-manifest diff as path states. */
function diffStates(diff: ReturnType<typeof diffManifests>): PathState[] {
  return [
    ...diff.missing.map((m) => ({ path: m.path, mirror: m })),
    ...diff.changed.map((c) => ({ path: c.mirror.path, mirror: c.mirror, copy: c.copy })),
    ...diff.extra.map((c) => ({ path: c.path, copy: c })),
  ];
}

export interface DriftDeps {
  mode: DriftMode;
  log: Logger;
  transfers: TransferManager;
  mirrorRoot(session: string): string;
  /** True while the hub itself is changing this mirror path (a write or push in progress). */
  isChanging(session: string, rel: string): boolean;
  /** Whether a line caused by this node may be logged now (per-node log budget). */
  mayLog(node: string): boolean;
  /** True while an rm or mv of this path is not yet confirmed by the node (a tombstone, hub-file-ops.ts): neither drift nor a repair. */
  isSettling?(node: string, session: string, rel: string, manifestReceivedAt: number): boolean;
  /** Test hook: awaited after the mirror scan, to widen the window a race needs. */
  afterMirrorScan?: () => Promise<void>;
}

export class DriftMonitor {
  private readonly caches = new Map<string, HashCache>();
  /** The check running per "node\0session", and the newest report waiting behind it. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, { report: ManifestReport; at: ReceivedAt }>();
  readonly events: DriftEvent[] = [];
  /** Told of every drift event as it is recorded (MCP clients' log). */
  private readonly listeners = new Set<(event: DriftEvent) => void>();

  constructor(private readonly deps: DriftDeps) {}

  /** Subscribe to drift events; returns the unsubscribe function. */
  onEvent(listener: (event: DriftEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Compare a node's manifest with the mirror; serialised per node and session. */
  onManifest(node: string, report: ManifestReport): Promise<void> {
    const key = `${node}\0${report.session}`;
    // Security: only the newest report waiting per node and session is kept: a node sending manifests faster
    // than they are checked replaces its own, it does not queue them in hub memory.
    this.waiting.set(key, { report, at: this.receivedAt(node, report.session) });
    return this.queues.get(key) ?? this.startDrain(node, key);
  }

  private startDrain(node: string, key: string): Promise<void> {
    const running = this.drain(node, key).finally(() => {
      this.queues.delete(key);
      if (this.waiting.has(key)) void this.startDrain(node, key);
    });
    this.queues.set(key, running);
    return running;
  }

  private async drain(node: string, key: string): Promise<void> {
    for (let next = this.waiting.get(key); next; next = this.waiting.get(key)) {
      this.waiting.delete(key);
      await this.check(node, next.report, next.at).catch((err) =>
        this.deps.log.warn({ node, session: next!.report.session, err: toMeshError(err).message }, 'drift check failed'),
      );
    }
  }

  private mirrorCache(session: string): HashCache {
    let cache = this.caches.get(session);
    if (!cache) this.caches.set(session, (cache = new HashCache()));
    return cache;
  }

  private async mirrorManifest(session: string): Promise<ManifestEntry[]> {
    return scanManifest(this.deps.mirrorRoot(session), this.mirrorCache(session)).catch(() => []);
  }

  /** The mirror's file at `rel` now, or undefined when it has none (a link or folder counts as none). */
  private async mirrorFile(session: string, rel: string): Promise<ManifestEntry | undefined> {
    const abs = path.join(this.deps.mirrorRoot(session), ...rel.split('/'));
    try {
      const st = await lstat(abs);
      if (!st.isFile()) return undefined;
      return { path: rel, size: st.size, mtimeMs: st.mtimeMs, sha256: await this.mirrorCache(session).hashOf(abs, rel, st) };
    } catch {
      return undefined;
    }
  }

  /** What a node's report cannot see: paths the mesh is changing on it since `at.receivedAt`. */
  private inFlight(node: string, session: string, at: ReceivedAt): (rel: string) => boolean {
    const pending = this.deps.transfers.pendingPaths(node, session);
    return (rel) =>
      pending.has(rel) ||
      at.pendingAtReceipt.has(rel) ||
      this.deps.transfers.touchedSince(node, session, rel, at.receivedAt) ||
      this.deps.isChanging(session, rel) ||
      (this.deps.isSettling?.(node, session, rel, at.opsSince ?? at.receivedAt) ?? false);
  }

  /** The situation of a node's session when a report arrived, to be kept until it is checked. */
  receivedAt(node: string, session: string): ReceivedAt {
    return { receivedAt: monotonicMs(), pendingAtReceipt: this.deps.transfers.pendingPaths(node, session) };
  }

  private async check(node: string, report: ManifestReport, at: ReceivedAt): Promise<void> {
    const { session } = report;
    const mirror = await this.mirrorManifest(session);
    await this.deps.afterMirrorScan?.();
    const copy = report.entries.map((e) => ({ path: e.path, size: Number(e.size), mtimeMs: Number(e.mtimeMs), sha256: e.sha256 }));
    await this.decideAll(node, session, diffStates(diffManifests(mirror, copy)), at);
  }

  /**
   * Check a stored manifest (pages in path order) against the mirror: each
   * page with the mirror files of its path range, one page in memory at a time.
   */
  async checkStored(node: string, session: string, pages: AsyncIterable<StoredEntry[]>, at: ReceivedAt): Promise<void> {
    const mirror = (await this.mirrorManifest(session)).sort((a, b) => comparePaths(a.path, b.path));
    await this.deps.afterMirrorScan?.();
    let m = 0;
    let previous: StoredEntry[] | undefined;
    const flush = async (page: StoredEntry[], upTo: string | undefined) => {
      const slice: ManifestEntry[] = [];
      while (m < mirror.length && (upTo === undefined || comparePaths(mirror[m].path, upTo) < 0)) slice.push(mirror[m++]);
      await this.decideAll(node, session, diffStates(diffManifests(slice, page.map((e) => ({ ...e })))), at);
    };
    // A page's range ends where the next page's first entry begins.
    for await (const page of pages) {
      if (previous && page.length > 0) await flush(previous, page[0].path);
      if (page.length > 0) previous = page;
    }
    await flush(previous ?? [], undefined);
  }

  /** Check the paths a delta names: each copy entry (or its absence) against the mirror's file now. */
  async checkDelta(node: string, session: string, changed: readonly StoredEntry[], removed: readonly string[], at: ReceivedAt): Promise<void> {
    const states: PathState[] = [];
    for (const e of changed) states.push({ path: e.path, mirror: await this.mirrorFile(session, e.path), copy: e });
    for (const rel of removed) states.push({ path: rel, mirror: await this.mirrorFile(session, rel) });
    await this.deps.afterMirrorScan?.();
    await this.decideAll(node, session, states, at);
  }

  private async decideAll(node: string, session: string, states: PathState[], at: ReceivedAt): Promise<void> {
    const inFlight = this.inFlight(node, session, at);
    const repair = this.deps.mode === 'repair';
    for (const state of states) {
      const queued = this.deps.transfers.pendingRepairs(node);
      // Security: a node reporting an empty manifest must not make the hub stage its whole mirror again and again.
      const affordable = queued.count < MAX_REPAIRS_PER_NODE && queued.bytes + (state.mirror?.size ?? 0) <= MAX_REPAIR_BYTES_PER_NODE;
      const verdict = decideDrift(state, { mode: this.deps.mode, inFlight: inFlight(state.path), affordable });
      if (!verdict) continue;
      this.record({ at: Date.now(), node, session, path: state.path, kind: verdict.kind, action: verdict.action });
      if (repair && verdict.action === 'repairing') await this.repair(node, session, state.path);
    }
  }

  /** Send the mirror's copy of `rel` to `node`, read through a checked handle, never by path. */
  private async repair(node: string, session: string, rel: string): Promise<void> {
    try {
      const opened = await openExistingInside(this.deps.mirrorRoot(session), rel);
      try {
        if (opened.file) await this.deps.transfers.createFromFile('repair', session, rel, opened.file, [node]);
      } finally {
        await opened.close();
      }
    } catch (err) {
      this.deps.log.warn({ node, session, path: rel, err: toMeshError(err).message }, 'drift repair skipped');
    }
  }

  private record(event: DriftEvent): void {
    this.events.push(event);
    if (this.events.length > KEEP_EVENTS) this.events.splice(0, this.events.length - KEEP_EVENTS);
    for (const listener of this.listeners) listener(event);
    if (this.deps.mayLog(event.node)) this.deps.log.warn({ event: 'drift', ...event }, `drift: ${event.kind} ${event.session}/${event.path} on ${event.node}`);
  }
}
