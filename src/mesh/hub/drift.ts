// Drift: a node's copy of a session differs from the hub's mirror. Each
// manifest a node reports is compared with the mirror; every differing file
// is logged as a drift event, and by default repaired from the mirror (the
// mirror is authoritative). Files only the node has are reported, never
// deleted: removing data is not a repair the hub makes on its own.
import { toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { diffManifests, HashCache, scanManifest, type ManifestEntry } from '../fs/manifest.js';
import { openExistingInside } from '../fs/safe-walk.js';
import type { ManifestReport } from '../protocol/frames.js';
import type { TransferManager } from './transfer-manager.js';

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
  private readonly waiting = new Map<string, { report: ManifestReport; at: { receivedAt: number; pendingAtReceipt: Set<string> } }>();
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
    const receivedAt = Date.now();
    const pendingAtReceipt = this.deps.transfers.pendingPaths(node, report.session);
    // Security: only the newest report waiting per node and session is kept: a node sending manifests faster
    // than they are checked replaces its own, it does not queue them in hub memory.
    this.waiting.set(key, { report, at: { receivedAt, pendingAtReceipt } });
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

  private async mirrorManifest(session: string): Promise<ManifestEntry[]> {
    let cache = this.caches.get(session);
    if (!cache) this.caches.set(session, (cache = new HashCache()));
    return scanManifest(this.deps.mirrorRoot(session), cache).catch(() => []);
  }

  private async check(node: string, report: ManifestReport, at: { receivedAt: number; pendingAtReceipt: Set<string> }): Promise<void> {
    const { session } = report;
    const mirror = await this.mirrorManifest(session);
    await this.deps.afterMirrorScan?.();
    const copy = report.entries.map((e) => ({ path: e.path, size: Number(e.size), mtimeMs: Number(e.mtimeMs), sha256: e.sha256 }));
    const diff = diffManifests(mirror, copy);
    // The manifest shows the node as it was when it was sent; the mirror
    // scan, as it is now. A path the mesh was delivering to this node at any
    // moment in between (pending when the manifest arrived, or created or
    // settled since) explains a difference, as does a write the hub is
    // making right now: neither is drift.
    const pending = this.deps.transfers.pendingPaths(node, session);
    const inFlight = {
      has: (rel: string) =>
        pending.has(rel) ||
        at.pendingAtReceipt.has(rel) ||
        this.deps.transfers.touchedSince(node, session, rel, at.receivedAt) ||
        this.deps.isChanging(session, rel) ||
        (this.deps.isSettling?.(node, session, rel, at.receivedAt) ?? false),
    };
    const repair = this.deps.mode === 'repair';
    const toRepair = [...diff.missing, ...diff.changed.map((c) => c.mirror)].filter((e) => !inFlight.has(e.path));
    for (const entry of toRepair) {
      const kind = diff.missing.includes(entry) ? 'missing' : 'changed';
      const queued = this.deps.transfers.pendingRepairs(node);
      // Security: a node reporting an empty manifest must not make the hub stage its whole mirror again and again.
      const affordable = queued.count < MAX_REPAIRS_PER_NODE && queued.bytes + entry.size <= MAX_REPAIR_BYTES_PER_NODE;
      const action = !repair ? 'reported' : affordable ? 'repairing' : 'deferred';
      this.record({ at: Date.now(), node, session, path: entry.path, kind, action });
      if (action === 'repairing') await this.repair(node, session, entry.path);
    }
    for (const entry of diff.extra) {
      if (!inFlight.has(entry.path)) this.record({ at: Date.now(), node, session, path: entry.path, kind: 'extra', action: 'reported' });
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
