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
  action: 'repairing' | 'reported';
}

const KEEP_EVENTS = 200;

export interface DriftDeps {
  mode: DriftMode;
  log: Logger;
  transfers: TransferManager;
  mirrorRoot(session: string): string;
  /** True while the hub itself is changing this mirror path (a write or push in progress). */
  isChanging(session: string, rel: string): boolean;
}

export class DriftMonitor {
  private readonly caches = new Map<string, HashCache>();
  private readonly queues = new Map<string, Promise<void>>();
  readonly events: DriftEvent[] = [];

  constructor(private readonly deps: DriftDeps) {}

  /** Compare a node's manifest with the mirror; serialised per node and session. */
  onManifest(node: string, report: ManifestReport): Promise<void> {
    const key = `${node}\0${report.session}`;
    const next = (this.queues.get(key) ?? Promise.resolve())
      .then(() => this.check(node, report))
      .catch((err) => this.deps.log.warn({ node, session: report.session, err: toMeshError(err).message }, 'drift check failed'));
    this.queues.set(key, next);
    return next;
  }

  private async mirrorManifest(session: string): Promise<ManifestEntry[]> {
    let cache = this.caches.get(session);
    if (!cache) this.caches.set(session, (cache = new HashCache()));
    return scanManifest(this.deps.mirrorRoot(session), cache).catch(() => []);
  }

  private async check(node: string, report: ManifestReport): Promise<void> {
    const { session } = report;
    const mirror = await this.mirrorManifest(session);
    const copy = report.entries.map((e) => ({ path: e.path, size: Number(e.size), mtimeMs: Number(e.mtimeMs), sha256: e.sha256 }));
    const diff = diffManifests(mirror, copy);
    // A delivery in flight, or a write the hub is making, explains a
    // difference; it is not drift.
    const pending = this.deps.transfers.pendingPaths(node, session);
    const inFlight = { has: (rel: string) => pending.has(rel) || this.deps.isChanging(session, rel) };
    const repair = this.deps.mode === 'repair';
    const toRepair = [...diff.missing, ...diff.changed.map((c) => c.mirror)].filter((e) => !inFlight.has(e.path));
    for (const entry of toRepair) {
      const kind = diff.missing.includes(entry) ? 'missing' : 'changed';
      this.record({ at: Date.now(), node, session, path: entry.path, kind, action: repair ? 'repairing' : 'reported' });
      if (repair) await this.repair(node, session, entry.path);
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
    this.deps.log.warn({ event: 'drift', ...event }, `drift: ${event.kind} ${event.session}/${event.path} on ${event.node}`);
  }
}
