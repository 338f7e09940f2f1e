// Transfers from the hub to the members of a session: staged once, recorded
// in the store with one pending delivery per target before anything is sent,
// then delivered on each node's own lane. A node that is offline, or a hub
// that restarts, leaves the delivery pending in the store; it resumes when
// the node attaches. Callers get each node's outcome as data.
import { randomBytes } from 'node:crypto';
import { readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Progress } from '../protocol/frames.js';
import type { MeshStore, StoreSnapshot } from '../store/mesh-store.js';
import type { DeliveryRecord, TransferRecord } from '../store/records.js';
import { ChunkCache } from './chunk-cache.js';
import { DeliveryLane } from './delivery-lane.js';
import type { Registry } from './registry.js';
import { laneKey, newLive, settle, waitOutcome, type LiveTransfer, type NodeOutcome, type OutcomeStatus, type TransferProgress } from './transfer-live.js';
import { deliverRequest, stageBuffer, stageFile, type Staged } from './transfer-stage.js';

export type { NodeOutcome, OutcomeStatus, TransferProgress } from './transfer-live.js';

/** Finished transfers whose outcomes stay readable. */
const KEEP_FINISHED = 100;
/** How long a delivery's last change is remembered for drift checks, ms (far longer than a manifest takes to arrive and be checked). */
const TOUCH_MEMORY_MS = 10 * 60_000;
/** Progress is written to the store at most this often per delivery, ms. */
const PROGRESS_PERSIST_MS = 2_000;
/** Upper bound of one delivery attempt, ms; a stalled one is caught much earlier by STALL_TIMEOUT_MS. */
const DELIVER_TIMEOUT_MS = 24 * 3600_000;
/** A delivery that reports no progress for this long is asked again, ms. */
const STALL_TIMEOUT_MS = 120_000;
/** Attempts before a delivery that fails on the node is reported failed. */
const MAX_DELIVERY_ATTEMPTS = 3;
/** Delay before the next attempt, times the attempt number, ms. */
const RETRY_DELAY_MS = 2_000;

export interface TransferDeps {
  store: MeshStore;
  registry: Registry;
  log: Logger;
  stagingRoot: string;
  /** Whether `node` is a member of `session` right now (checked again before every delivery). */
  isMember(session: string, node: string): boolean;
}

export class TransferManager {
  private readonly live = new Map<string, LiveTransfer>();
  private readonly lanes = new Map<string, DeliveryLane>();
  readonly chunkCache = new ChunkCache();
  /**
   * When a delivery of a path to a node last changed (created or settled),
   * "node\0session\0path" -> ms. Drift checks ask it, so a manifest sent
   * before a delivery landed is not taken for drift. Entries older than
   * TOUCH_MEMORY_MS are pruned.
   */
  private readonly touched = new Map<string, number>();
  /** Recently finished transfers, so a caller that asks late still gets the outcomes. */
  private readonly finished = new Map<string, LiveTransfer>();

  constructor(private readonly deps: TransferDeps) {
    deps.registry.on('detached', (link) => this.settleWaiters(link.nodeId, 'offline'));
  }

  stagingDir(id: string): string {
    return path.join(this.deps.stagingRoot, id);
  }

  /** Rebuild from the store after a restart; drop what finished and staging left by a crash. */
  async load(snapshot: StoreSnapshot): Promise<void> {
    const byTransfer = new Map<string, DeliveryRecord[]>();
    for (const d of snapshot.deliveries) byTransfer.set(d.transferId, [...(byTransfer.get(d.transferId) ?? []), d]);
    for (const record of snapshot.transfers) {
      const deliveries = byTransfer.get(record.id) ?? [];
      if (!deliveries.some((d) => d.state === 'pending')) {
        await this.forget(record, deliveries);
        continue;
      }
      this.live.set(record.id, newLive(record, deliveries));
    }
    const dirs = await readdir(this.deps.stagingRoot).catch(() => [] as string[]);
    for (const dir of dirs) if (!this.live.has(dir)) await rm(this.stagingDir(dir), { recursive: true, force: true });
  }

  async createFromBuffer(kind: TransferRecord['kind'], session: string, destPath: string, data: Buffer, targets: string[]): Promise<TransferRecord> {
    const id = newTransferId();
    const staged = await stageBuffer(data, this.stagingDir(id));
    return this.create(id, kind, session, destPath, staged, targets);
  }

  async createFromFile(
    kind: TransferRecord['kind'],
    session: string,
    destPath: string,
    /** A path, or a file already open and checked (the caller closes it). */
    file: string | FileHandle,
    targets: string[],
    signal?: AbortSignal,
  ): Promise<TransferRecord> {
    const id = newTransferId();
    try {
      const staged = await stageFile(file, this.stagingDir(id), signal);
      return await this.create(id, kind, session, destPath, staged, targets);
    } catch (err) {
      await rm(this.stagingDir(id), { recursive: true, force: true });
      throw err;
    }
  }

  private async create(id: string, kind: TransferRecord['kind'], session: string, destPath: string, staged: Staged, targets: string[]): Promise<TransferRecord> {
    const record: TransferRecord = { id, kind, session, path: destPath, ...staged, createdAt: Date.now(), targets: [...new Set(targets)].sort() };
    // No broadcast orphans: the transfer and every pending delivery are
    // stored before the first byte goes out.
    await this.deps.store.putTransfer(record);
    const deliveries = record.targets.map((node): DeliveryRecord => ({ transferId: id, node, state: 'pending', verifiedChunks: 0, bytes: 0, updatedAt: Date.now() }));
    await Promise.all(deliveries.map((d) => this.deps.store.putDelivery(d)));
    const live = newLive(record, deliveries);
    this.live.set(id, live);
    for (const node of record.targets) this.touch(record, node);
    await this.supersedeOlder(record);
    if (record.targets.length === 0) await this.finishIfDone(live);
    for (const node of record.targets) if (this.deps.registry.isOnline(node)) this.lane(node).enqueue(id, laneKey(record));
    this.deps.log.info({ transfer: id, kind, session, path: destPath, size: staged.size, chunks: staged.chunks.length, targets: record.targets }, 'transfer created');
    return record;
  }

  /** A node attached (or joined a session): run everything pending for it. */
  nodeReady(node: string): void {
    const pending = [...this.live.values()].filter((t) => t.deliveries.get(node)?.state === 'pending').sort((a, b) => a.record.createdAt - b.record.createdAt);
    for (const t of pending) this.lane(node).enqueue(t.record.id, laneKey(t.record));
  }

  onProgress(node: string, progress: Progress): void {
    const live = this.live.get(progress.transferId);
    const delivery = live?.deliveries.get(node);
    if (!live || !delivery || delivery.state !== 'pending') return;
    // A node reports its own progress; it is clamped to what the transfer holds.
    delivery.verifiedChunks = Math.min(Number(progress.verifiedChunks), live.record.chunks.length);
    delivery.bytes = Math.min(Number(progress.bytes), live.record.size);
    delivery.updatedAt = Date.now();
    if (Date.now() - (live.persistedAt.get(node) ?? 0) >= PROGRESS_PERSIST_MS) {
      live.persistedAt.set(node, Date.now());
      this.deps.store.putDelivery({ ...delivery }).catch((err) => this.deps.log.warn({ err: toMeshError(err).message }, 'progress not stored'));
    }
  }

  countSent(transferId: string, node: string, bytes: number): void {
    const live = this.live.get(transferId);
    if (live) live.sentBytes.set(node, (live.sentBytes.get(node) ?? 0) + bytes);
  }

  /** The transfer, when `node` still has a pending delivery of it (Fetch authorisation). */
  transferFor(transferId: string, node: string): TransferRecord | undefined {
    const live = this.live.get(transferId);
    return live?.deliveries.get(node)?.state === 'pending' ? live.record : undefined;
  }

  /** True when a delivery of `rel` to `node` was created or settled at or after `since` (ms). */
  touchedSince(node: string, session: string, rel: string, since: number): boolean {
    return (this.touched.get(`${node}\0${session}\0${rel}`) ?? -Infinity) >= since;
  }

  private touch(record: TransferRecord, node: string): void {
    const now = Date.now();
    this.touched.set(`${node}\0${record.session}\0${record.path}`, now);
    if (this.touched.size % 1024 === 0) for (const [k, at] of this.touched) if (now - at > TOUCH_MEMORY_MS) this.touched.delete(k);
  }

  /** Paths with a pending delivery to `node` in `session` (drift checks skip them). */
  pendingPaths(node: string, session: string): Set<string> {
    const out = new Set<string>();
    for (const t of this.live.values()) if (t.record.session === session && t.deliveries.get(node)?.state === 'pending') out.add(t.record.path);
    return out;
  }

  /** Repairs queued for `node` and not yet delivered: their count and bytes (each holds its own staging). */
  pendingRepairs(node: string): { count: number; bytes: number } {
    let count = 0;
    let bytes = 0;
    for (const t of this.live.values()) {
      if (t.record.kind !== 'repair' || t.deliveries.get(node)?.state !== 'pending') continue;
      count++;
      bytes += t.record.size;
    }
    return { count, bytes };
  }

  /**
   * `node` is no longer a member of `sessions` (a grant was withdrawn): its
   * pending deliveries there are dropped, and staging that served only them
   * is reclaimed. A node still attached removes its part files.
   */
  async dropNode(node: string, sessions: readonly string[]): Promise<void> {
    const reason = { code: 'SESSION_NOT_GRANTED', message: `node ${node} left the session` };
    for (const live of [...this.live.values()]) {
      const { id, session, path: p } = live.record;
      if (!sessions.includes(session) || live.deliveries.get(node)?.state !== 'pending') continue;
      live.deliveries.delete(node);
      await this.deps.store.deleteDelivery(id, node);
      settle(live, { node, status: 'cancelled', error: reason });
      this.deps.registry.get(node)?.request('cancel', { transferId: id, session, path: p }, { timeoutMs: 15_000 }).catch(() => {});
      await this.finishIfDone(live);
    }
  }

  /**
   * Wait for each target's outcome. Offline targets answer `offline` at once
   * (their delivery stays pending); online ones are awaited up to `timeoutMs`
   * and answer `pending` after that.
   */
  async outcomes(transferId: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<NodeOutcome[]> {
    const live = this.live.get(transferId) ?? this.finished.get(transferId);
    if (!live) throw new MeshError('TRANSFER_NOT_FOUND', `transfer ${transferId} is not running`);
    return Promise.all(live.record.targets.map((node) => waitOutcome(live, node, this.deps.registry.isOnline(node), options)));
  }

  /** Stop a transfer everywhere: running deliveries are cancelled and their part files removed. */
  async cancel(transferId: string): Promise<void> {
    const live = this.live.get(transferId);
    if (!live) return;
    live.abort.abort();
    const { session, path: p } = live.record;
    await Promise.all(
      live.record.targets.map(async (node) => {
        const link = this.deps.registry.get(node);
        const delivery = live.deliveries.get(node);
        if (delivery?.state === 'pending') {
          await link?.request('cancel', { transferId, session, path: p }, { timeoutMs: 15_000 }).catch(() => {});
          settle(live, { node, status: 'cancelled' });
        }
      }),
    );
    await this.forget(live.record, [...live.deliveries.values()]);
    this.live.delete(transferId);
  }

  running(): TransferProgress[] {
    return [...this.live.values()].map((t) => ({
      transferId: t.record.id,
      kind: t.record.kind,
      session: t.record.session,
      path: t.record.path,
      size: t.record.size,
      nodes: t.record.targets.map((node) => ({
        node,
        state: t.deliveries.get(node)?.state ?? 'pending',
        bytes: t.deliveries.get(node)?.bytes ?? 0,
        sentBytes: t.sentBytes.get(node) ?? 0,
      })),
    }));
  }

  private lane(node: string): DeliveryLane {
    let lane = this.lanes.get(node);
    if (!lane) this.lanes.set(node, (lane = new DeliveryLane(node, (n, id) => this.deliver(n, id))));
    return lane;
  }

  private async deliver(node: string, transferId: string): Promise<void> {
    const live = this.live.get(transferId);
    const link = this.deps.registry.get(node);
    const delivery = live?.deliveries.get(node);
    if (!live || !link || delivery?.state !== 'pending') return;
    // Security: membership is checked at the moment of sending: a grant withdrawn after the transfer was
    // created (while it was being staged) must not let its bytes reach the node.
    if (!this.deps.isMember(live.record.session, node)) {
      await this.dropNode(node, [live.record.session]);
      return;
    }
    // One attempt: cancelled with the transfer, or when the node stops
    // reporting progress (it is then asked again; a node joins a re-sent
    // request to the delivery it is still running).
    const attempt = new AbortController();
    const onCancel = () => attempt.abort();
    live.abort.signal.addEventListener('abort', onCancel, { once: true });
    delivery.updatedAt = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - (live.deliveries.get(node)?.updatedAt ?? 0) > STALL_TIMEOUT_MS) attempt.abort();
    }, Math.min(STALL_TIMEOUT_MS, 10_000));
    watchdog.unref();
    try {
      const reply = await link.request('deliver', await deliverRequest(live.record, this.stagingDir(live.record.id)), { timeoutMs: DELIVER_TIMEOUT_MS, signal: attempt.signal });
      if (reply.sha256 !== live.record.sha256) {
        throw new MeshError('CHECKSUM_MISMATCH', `node ${node} wrote SHA-256 ${reply.sha256}, expected ${live.record.sha256}`);
      }
      await this.record(live, node, 'done');
      settle(live, { node, status: 'ok', sha256: reply.sha256, size: Number(reply.size), fetchedBytes: Number(reply.fetchedBytes) });
    } catch (err) {
      if (live.abort.signal.aborted) return; // cancel() settles and forgets
      const mesh = attempt.signal.aborted
        ? new MeshError('NODE_TIMEOUT', `node ${node} reported no progress for ${STALL_TIMEOUT_MS / 1000} s`)
        : toMeshError(err);
      // Offline: the delivery stays pending and resumes when the node is back.
      if (mesh.code === 'NODE_OFFLINE') return;
      const failures = (live.failures.get(node) ?? 0) + 1;
      live.failures.set(node, failures);
      if (failures < MAX_DELIVERY_ATTEMPTS) {
        this.deps.log.warn({ node, transfer: transferId, code: mesh.code, err: mesh.message, attempt: failures }, 'delivery attempt failed; trying again');
        setTimeout(() => {
          if (this.deps.registry.isOnline(node) && live.deliveries.get(node)?.state === 'pending') this.lane(node).enqueue(transferId, laneKey(live.record));
        }, RETRY_DELAY_MS * failures).unref();
        return;
      }
      this.deps.log.warn({ node, transfer: transferId, code: mesh.code, err: mesh.message }, 'delivery failed');
      await this.record(live, node, 'failed', { code: mesh.code, message: mesh.message });
      settle(live, { node, status: 'failed', error: { code: mesh.code, message: mesh.message } });
    } finally {
      clearInterval(watchdog);
      live.abort.signal.removeEventListener('abort', onCancel);
      await this.finishIfDone(live);
    }
  }

  private async record(live: LiveTransfer, node: string, state: DeliveryRecord['state'], error?: DeliveryRecord['error']): Promise<void> {
    const current = live.deliveries.get(node);
    if (!current) return;
    const next: DeliveryRecord = { ...current, state, updatedAt: Date.now(), ...(error ? { error } : {}) };
    if (state === 'done') next.bytes = live.record.size;
    live.deliveries.set(node, next);
    this.touch(live.record, node);
    await this.deps.store.putDelivery(next);
  }

  private settleWaiters(node: string, status: OutcomeStatus): void {
    for (const live of this.live.values()) {
      if (live.outcomes.has(node)) continue;
      for (const w of [...(live.waiters.get(node) ?? [])]) w({ node, status });
    }
  }

  private async finishIfDone(live: LiveTransfer): Promise<void> {
    if ([...live.deliveries.values()].some((d) => d.state === 'pending')) return;
    if (this.live.get(live.record.id) !== live) return;
    this.live.delete(live.record.id);
    this.finished.set(live.record.id, live);
    if (this.finished.size > KEEP_FINISHED) this.finished.delete(this.finished.keys().next().value!);
    await this.forget(live.record, [...live.deliveries.values()]);
    this.deps.log.info({ transfer: live.record.id, outcomes: [...live.deliveries.values()].map((d) => [d.node, d.state]) }, 'transfer finished');
  }

  /** Remove a finished transfer from the store and its staging from disk. */
  private async forget(record: TransferRecord, deliveries: DeliveryRecord[]): Promise<void> {
    this.chunkCache.dropTransfer(record.id);
    await Promise.all(deliveries.map((d) => this.deps.store.deleteDelivery(d.transferId, d.node)));
    await this.deps.store.deleteTransfer(record.id);
    await rm(this.stagingDir(record.id), { recursive: true, force: true });
  }

  /** Last writer wins: an older pending delivery of the same path to the same node is dropped. */
  private async supersedeOlder(newer: TransferRecord): Promise<void> {
    for (const older of [...this.live.values()]) {
      const r = older.record;
      if (r.id === newer.id || r.session !== newer.session || r.path !== newer.path || r.createdAt > newer.createdAt) continue;
      for (const node of newer.targets) {
        const d = older.deliveries.get(node);
        if (d?.state !== 'pending') continue;
        older.deliveries.delete(node);
        await this.deps.store.deleteDelivery(r.id, node);
        settle(older, { node, status: 'cancelled', error: { code: 'CANCELLED', message: `superseded by transfer ${newer.id}` } });
      }
      await this.finishIfDone(older);
    }
  }
}

function newTransferId(): string {
  return randomBytes(8).toString('hex');
}
