// `rm` and `mv` for the hub core: done on the mirror first (the mirror is
// authoritative and decides every refusal), then on every member. Each
// member's change is stored before it is sent (a FileOpRecord), so an
// offline node gets it when it attaches, before any pending delivery; the
// record is also the tombstone drift consults, and is pruned once that node
// confirmed.
import { randomBytes } from 'node:crypto';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { currentRequestId, withRequestId } from '../../request-context.js';
import { normalizeSessionPath } from '../fs/paths.js';
import { moveInside, removeInside } from '../fs/remove-move.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { FileOpRecord } from '../store/records.js';
import type { NodeOutcome } from './transfer-manager.js';
import type { Membership } from './membership.js';
import { pathKey, type PathLocks } from './path-locks.js';
import type { Registry } from './registry.js';
import type { TransferManager } from './transfer-manager.js';
import { monotonicMs } from '../monotonic.js';

/** How long rm/mv wait for an online member, ms; past it the change stays queued for that node. */
const NODE_OP_TIMEOUT_MS = 15_000;

/** An attached node whose change timed out (or failed on its disk) is asked again after this long, ms. */
const RETRY_ATTACHED_MS = 5_000;
/** How long a confirmed change still explains a node's manifest received before it, ms (as transfers remember theirs). */
const SETTLED_MEMORY_MS = 10 * 60_000;
/** Confirmed changes remembered at most (oldest dropped first). */
const MAX_SETTLED = 10_000;

/** Codes that mean "try again later" (the record stays); anything else is the node's final answer. */
const RETRY_LATER = new Set(['NODE_OFFLINE', 'NODE_TIMEOUT', 'CANCELLED', 'DISK_FAILED', 'INTERNAL']);

export interface FileOpsDeps {
  store: MeshStore;
  membership: Membership;
  registry: Registry;
  transfers: TransferManager;
  log: Logger;
  locks: PathLocks;
  mirrorRoot(session: string): string;
  /** The skills gate around a change of the mirror (refuses paths under a skill being promoted). */
  guard<T>(session: string, rel: string, fn: () => Promise<T>): Promise<T>;
}

export interface FileOpResult {
  session: string;
  path: string;
  to?: string;
  outcomes: NodeOutcome[];
}

/** `rel` is `base` or lies below it. */
export function isAtOrBelow(rel: string, base: string): boolean {
  return rel === base || rel.startsWith(`${base}/`);
}

export class HubFileOps {
  /** Unconfirmed changes per node, in `seq` order: the tombstones. Loaded from the store at start. */
  private readonly pending = new Map<string, FileOpRecord[]>();
  /** Nodes whose queue is being replayed now (one replay per node at a time). */
  private readonly replaying = new Map<string, Promise<void>>();
  /** Recently confirmed changes and when: a manifest a node sent before it confirmed still shows the old state. */
  private readonly settled: Array<{ record: FileOpRecord; at: number }> = [];
  /** One pending retry per attached node (unref'd: never keeps the process alive). */
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private seq = Date.now();

  constructor(private readonly deps: FileOpsDeps) {}

  load(records: readonly FileOpRecord[]): void {
    for (const r of [...records].sort((a, b) => a.seq - b.seq)) this.queue(r.node).push(r);
    this.seq = Math.max(this.seq, ...records.map((r) => r.seq + 1));
  }

  /**
   * Tombstone check for drift: true while a change of `session` that `node`
   * has not confirmed names `rel` (the removed or moved path, or anything
   * below it, or a move's destination), or when it confirmed it only after
   * `manifestReceivedAt` (the manifest shows the copy from before).
   */
  isSettling(node: string, session: string, rel: string, manifestReceivedAt = monotonicMs()): boolean {
    const names = (r: FileOpRecord) => r.node === node && r.session === session && (isAtOrBelow(rel, r.path) || (r.to !== undefined && isAtOrBelow(rel, r.to)));
    this.pruneSettled();
    return (this.pending.get(node) ?? []).some(names) || this.settled.some((s) => s.at >= manifestReceivedAt && names(s.record));
  }

  private pruneSettled(): void {
    const cutoff = monotonicMs() - SETTLED_MEMORY_MS;
    let drop = 0;
    while (drop < this.settled.length && (this.settled[drop]!.at < cutoff || this.settled.length - drop > MAX_SETTLED)) drop++;
    if (drop > 0) this.settled.splice(0, drop);
  }

  /** Records not yet confirmed, for tests and `status`. */
  pendingCount(node?: string): number {
    return node ? (this.pending.get(node)?.length ?? 0) : [...this.pending.values()].reduce((a, q) => a + q.length, 0);
  }

  async remove(session: string, rel: string, recursive: boolean): Promise<FileOpResult> {
    const p = normalizeSessionPath(rel);
    if (p === '.') throw new MeshError('PATH_INVALID', 'rm of the session root is refused; name a file or folder in it', { rule: 'root' });
    this.deps.membership.requireSession(session);
    return this.deps.locks.run([pathKey(session, p)], () =>
      this.deps.guard(session, p, async () => {
        const existed = await removeInside(this.deps.mirrorRoot(session), p, recursive);
        if (!existed) throw new MeshError('NOT_FOUND', `path ${JSON.stringify(p)} does not exist in session "${session}"`);
        const outcomes = await this.fanOut(session, { op: 'remove', path: p, recursive });
        return { session, path: p, outcomes };
      }),
    );
  }

  async move(session: string, from: string, to: string, overwrite: boolean): Promise<FileOpResult> {
    const src = normalizeSessionPath(from);
    const dst = normalizeSessionPath(to);
    if (src === '.' || dst === '.') throw new MeshError('PATH_INVALID', 'mv of or onto the session root is refused; name a file or folder in it', { rule: 'root' });
    if (src === dst) throw new MeshError('INVALID_ARGUMENT', `from and to are the same path (${JSON.stringify(src)})`);
    this.deps.membership.requireSession(session);
    return this.deps.locks.run([pathKey(session, src), pathKey(session, dst)], () =>
      this.deps.guard(session, src, () =>
        this.deps.guard(session, dst, async () => {
          await moveInside(this.deps.mirrorRoot(session), src, dst, { overwrite });
          const outcomes = await this.fanOut(session, { op: 'move', path: src, to: dst, overwrite });
          return { session, path: src, to: dst, outcomes };
        }),
      ),
    );
  }

  /** A node attached: run its queued changes in order, before anything else reaches it (`then`). */
  nodeReady(node: string, then: () => void): void {
    const running = this.replaying.get(node) ?? Promise.resolve();
    const next = running
      .then(() => this.replay(node))
      .catch((err) => this.deps.log.warn({ node, err: toMeshError(err).message }, 'queued rm/mv not replayed'))
      .finally(() => {
        if (this.replaying.get(node) === next) this.replaying.delete(node);
        then();
      });
    this.replaying.set(node, next);
  }

  private retryLater(node: string): void {
    if (this.retries.has(node)) return;
    const timer = setTimeout(() => {
      this.retries.delete(node);
      if (this.deps.registry.isOnline(node)) this.nodeReady(node, () => {});
    }, RETRY_ATTACHED_MS);
    timer.unref();
    this.retries.set(node, timer);
  }

  /** Clear pending retries (hub stop). */
  stop(): void {
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
  }

  private queue(node: string): FileOpRecord[] {
    let q = this.pending.get(node);
    if (!q) this.pending.set(node, (q = []));
    return q;
  }

  /** Store one record per member, drop pending deliveries the change makes stale, then ask every online member. */
  private async fanOut(session: string, change: Pick<FileOpRecord, 'op' | 'path' | 'recursive' | 'to' | 'overwrite'>): Promise<NodeOutcome[]> {
    const members = this.deps.membership.membersOf(session);
    const id = randomBytes(8).toString('hex');
    const seq = this.seq++;
    const requestId = currentRequestId();
    const records = members.map((node): FileOpRecord => ({ id, node, session, seq, createdAt: Date.now(), ...change, ...(requestId ? { requestId } : {}) }));
    // Never lost: every member's change is in the store before any is sent.
    await Promise.all(records.map((r) => this.deps.store.putFileOp(r)));
    for (const r of records) this.queue(r.node).push(r);
    await this.cancelStaleDeliveries(session, change.path);
    return Promise.all(records.map((r) => this.runOne(r)));
  }

  /**
   * A pending write or push of the removed or moved path would bring it back
   * on a node that returns later: cancel it (the mirror no longer has it there;
   * drift brings a moved file to its new place if a node lacks it).
   */
  private async cancelStaleDeliveries(session: string, rel: string): Promise<void> {
    for (const t of this.deps.transfers.running()) {
      if (t.session === session && isAtOrBelow(t.path, rel)) await this.deps.transfers.cancel(t.transferId);
    }
  }

  /** One member's part of a change, under the id of the call that made it (replays run from other calls' callbacks). */
  private runOne(r: FileOpRecord): Promise<NodeOutcome> {
    return withRequestId(r.requestId, () => this.sendOne(r));
  }

  private async sendOne(r: FileOpRecord): Promise<NodeOutcome> {
    const link = this.deps.registry.get(r.node);
    if (!link) return { node: r.node, status: 'offline' };
    try {
      if (r.op === 'remove') await link.request('remove', { session: r.session, path: r.path, recursive: Boolean(r.recursive) }, { timeoutMs: NODE_OP_TIMEOUT_MS });
      else await link.request('move', { session: r.session, from: r.path, to: r.to!, overwrite: Boolean(r.overwrite) }, { timeoutMs: NODE_OP_TIMEOUT_MS });
      await this.confirm(r);
      return { node: r.node, status: 'ok' };
    } catch (err) {
      const e = toMeshError(err);
      if (RETRY_LATER.has(e.code)) {
        // Offline: replayed when it attaches. Attached but slow or failing: asked again shortly, in order.
        if (e.code !== 'NODE_OFFLINE') this.retryLater(r.node);
        return { node: r.node, status: e.code === 'NODE_OFFLINE' ? 'offline' : 'pending', error: { code: e.code, message: e.message } };
      }
      // The node's final answer (its copy refused the change): reported, not retried at every attach.
      await this.confirm(r);
      this.deps.log.warn({ node: r.node, session: r.session, op: r.op, path: r.path, err: e.message }, `${r.op} failed on a node`);
      return { node: r.node, status: 'failed', error: { code: e.code, message: e.message } };
    }
  }

  /** The node has it (or refused it for good): prune the tombstone. */
  private async confirm(r: FileOpRecord): Promise<void> {
    await this.deps.store.deleteFileOp(r.id, r.node);
    const q = this.pending.get(r.node);
    const i = q?.indexOf(r) ?? -1;
    if (q && i >= 0) q.splice(i, 1);
    if (q?.length === 0) this.pending.delete(r.node);
    this.settled.push({ record: r, at: monotonicMs() });
    this.pruneSettled();
  }

  private async replay(node: string): Promise<void> {
    for (const r of [...(this.pending.get(node) ?? [])]) {
      if (!this.deps.membership.has(r.session, node)) {
        await this.confirm(r); // no longer a member: its copy is not the mesh's to change
        continue;
      }
      const outcome = await this.runOne(r);
      if (outcome.status === 'offline' || outcome.status === 'pending') return; // keep the order: stop at the first that must wait
      this.deps.log.info({ node, session: r.session, op: r.op, path: r.path, to: r.to, status: outcome.status }, `queued ${r.op} replayed`);
    }
  }
}
