// Transfers from the hub to the members of a session: recorded in the store
// with one pending delivery per target before anything is sent, staged once,
// and delivered on each node's own lane. A push is delivered while it is
// staged: its record is stored as soon as it is accepted, and nodes fetch
// each chunk once it is staged. A push's copy in the hub mirror is a step of
// the transfer, made once its deliveries settled. A node that is offline, or
// a hub that restarts, leaves the delivery pending in the store; it resumes
// when the node attaches, and a push cut short by a restart continues staging
// from its source. Callers get each node's outcome as data.
import { randomBytes } from 'node:crypto';
import { readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { currentRequestId, withRequestId } from '../../request-context.js';
import { CHUNK_SIZE } from '../fs/chunk-plan.js';
import { ensureDirDurable } from '../fs/durable.js';
import type { Progress } from '../protocol/frames.js';
import type { MeshStore, StoreSnapshot } from '../store/mesh-store.js';
import { TRANSFER_FORMAT, type ChunkInfo, type DeliveryRecord, type TransferRecord } from '../store/records.js';
import { DeliveryLane } from './delivery-lane.js';
import type { Registry } from './registry.js';
import { StagingGate } from './staging-gate.js';
import { monotonicMs } from '../monotonic.js';
import { laneKey, newLive, settle, waitOutcome, type LiveTransfer, type NodeOutcome, type OutcomeStatus, type TransferProgress } from './transfer-live.js';
import { isFirstFormat, upgradeFirstFormat } from './transfer-upgrade.js';
import { blake3Mismatch } from '../fs/blake3.js';
import {
  INLINE_MAX_BYTES,
  chunkCount,
  dataFile,
  deliverRequest,
  fileHashOf,
  readerOfBuffer,
  readerOfHandle,
  sameSource,
  sourceChanged,
  sourceIdentity,
  stageChunks,
  verifyStagedPrefix,
  type SpanReader,
} from './transfer-stage.js';

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
/** How long a delivery waits for the rest of its file to be staged, ms (only bounds a stuck source read). */
const STAGING_WAIT_MS = 3600_000;

/** A push source open for reading; the transfer manager closes it when staging ends. */
export interface PushSource {
  file: FileHandle;
  /** The source as the caller named it (reopened by this name after a restart). */
  name: string;
  close(): Promise<void>;
}

export interface TransferDeps {
  store: MeshStore;
  registry: Registry;
  log: Logger;
  stagingRoot: string;
  /** Whether `node` is a member of `session` right now (checked again before every delivery). */
  isMember(session: string, node: string): boolean;
  /** Open a push source again by the name it was pushed with (after a restart). */
  openSource(name: string): Promise<PushSource>;
  /** Put a push's staged data file at its path in the session mirror, durably. */
  commitMirror(session: string, rel: string, stagedData: string): Promise<void>;
}

export class TransferManager {
  private readonly live = new Map<string, LiveTransfer>();
  private readonly lanes = new Map<string, DeliveryLane>();
  /**
   * When a delivery of a path to a node last changed (created or settled),
   * "node\0session\0path" -> ms. Drift checks ask it, so a manifest sent
   * before a delivery landed is not taken for drift. Entries older than
   * TOUCH_MEMORY_MS are pruned.
   */
  private readonly touched = new Map<string, number>();
  /** Recently finished transfers, so a caller that asks late still gets the outcomes. */
  private readonly finished = new Map<string, LiveTransfer>();
  /** The hub is stopping: staging stops where it is, and nothing is failed, cancelled or removed for it. */
  private suspended = false;
  /** Stops every staging run (not the transfers) when the hub stops. */
  private readonly stopStaging = new AbortController();
  private readonly stagingRuns = new Set<Promise<void>>();

  constructor(private readonly deps: TransferDeps) {
    deps.registry.on('detached', (link) => {
      this.settleWaiters(link.nodeId, 'offline');
      if (!this.suspended) for (const live of this.live.values()) this.maybeCommitMirror(live);
    });
  }

  stagingDir(id: string): string {
    return path.join(this.deps.stagingRoot, id);
  }

  /** Rebuild from the store after a restart; drop what finished and staging left by a crash; continue staging cut short. */
  async load(snapshot: StoreSnapshot): Promise<void> {
    const byTransfer = new Map<string, DeliveryRecord[]>();
    for (const d of snapshot.deliveries) byTransfer.set(d.transferId, [...(byTransfer.get(d.transferId) ?? []), d]);
    // Oldest first: live transfers are ordered by when they were loaded or created (`LiveTransfer.order`).
    for (const stored of [...snapshot.transfers].sort((a, b) => a.createdAt - b.createdAt)) {
      const deliveries = byTransfer.get(stored.id) ?? [];
      const record = await this.carriedOver(stored, deliveries);
      if (!record) {
        await this.forget(stored, deliveries);
        continue;
      }
      const mirrorDue = record.kind === 'push' && record.mirror === 'pending';
      if (!deliveries.some((d) => d.state === 'pending') && !mirrorDue) {
        await this.forget(record, deliveries);
        continue;
      }
      const total = chunkCount(record);
      this.live.set(record.id, newLive(record, deliveries, new StagingGate(total, record.staged ? total : record.chunks.length)));
    }
    const dirs = await readdir(this.deps.stagingRoot).catch(() => [] as string[]);
    for (const dir of dirs) if (!this.live.has(dir)) await rm(this.stagingDir(dir), { recursive: true, force: true });
    for (const live of [...this.live.values()]) {
      if (!live.staging.complete) this.track(this.resumeStaging(live));
      else this.maybeCommitMirror(live);
    }
  }

  /**
   * A stored record in today's format: as it is, or carried over from the
   * first format (its pending deliveries would otherwise be lost to an
   * upgrade); undefined when nothing here can serve it.
   */
  private async carriedOver(record: TransferRecord, deliveries: DeliveryRecord[]): Promise<TransferRecord | undefined> {
    if (record.format === TRANSFER_FORMAT) return record;
    const pending = deliveries.some((d) => d.state === 'pending');
    if (!pending || !isFirstFormat(record)) {
      if (pending) this.deps.log.warn({ transfer: record.id, path: record.path, format: record.format }, 'transfer of an unknown record format dropped; push it again');
      return undefined;
    }
    try {
      const upgraded = await upgradeFirstFormat(record, this.stagingDir(record.id));
      await this.deps.store.putTransfer(upgraded);
      this.deps.log.info({ transfer: record.id, path: record.path }, 'transfer from an older hub version carried over');
      return upgraded;
    } catch (err) {
      this.deps.log.warn({ transfer: record.id, path: record.path, err: toMeshError(err).message }, 'transfer from an older hub version could not be carried over; push it again');
      return undefined;
    }
  }

  /** Continue staging a push from its source after a restart, once the source is shown unchanged. */
  private async resumeStaging(live: LiveTransfer): Promise<void> {
    const { record } = live;
    if (!record.source) return this.failTransfer(live, new MeshError('INTERNAL', `transfer ${record.id} has no source to continue staging from`));
    const what = `source "${record.source.path}"`;
    let source: PushSource;
    try {
      source = await this.deps.openSource(record.source.path);
    } catch (err) {
      return this.failTransfer(live, sourceChanged(`${what} (${toMeshError(err).message})`));
    }
    try {
      if (!sameSource(await sourceIdentity(source.file), record.source.identity)) throw sourceChanged(what);
      await verifyStagedPrefix(record, readerOfHandle(source.file, what));
      this.deps.log.info({ transfer: record.id, stagedChunks: record.chunks.length, chunks: chunkCount(record) }, 'staging continues after a restart');
    } catch (err) {
      await source.close();
      return this.failTransfer(live, toMeshError(err));
    }
    await this.runStaging(live, source);
  }

  /** A transfer of bytes held in memory (a write): staged completely before it is recorded. */
  async createFromBuffer(kind: TransferRecord['kind'], session: string, destPath: string, data: Buffer, targets: string[]): Promise<TransferRecord> {
    return this.createStaged(kind, session, destPath, data.length, readerOfBuffer(data), targets);
  }

  /** A transfer of an open file (a drift repair from the mirror): staged completely before it is recorded. */
  async createFromFile(kind: TransferRecord['kind'], session: string, destPath: string, file: FileHandle, targets: string[]): Promise<TransferRecord> {
    const { size } = await file.stat();
    return this.createStaged(kind, session, destPath, size, readerOfHandle(file, destPath), targets);
  }

  private async createStaged(kind: TransferRecord['kind'], session: string, destPath: string, size: number, read: SpanReader, targets: string[]): Promise<TransferRecord> {
    if (this.suspended) throw stoppingError();
    const record = newRecord(kind, session, destPath, size, targets);
    const dir = this.stagingDir(record.id);
    try {
      await ensureDirDurable(dir);
      await stageChunks({ record, stagingDir: dir, read, onDurable: async (chunks) => void record.chunks.push(...chunks) });
      record.sha256 = fileHashOf(record.chunks);
      record.staged = true;
      const total = chunkCount(record);
      await this.create(record, new StagingGate(total, total));
      return record;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Accept a push: the record and a pending delivery per target are stored,
   * deliveries start at once, and staging runs on while nodes fetch what is
   * staged. Takes over `source` (closed when staging ends). Resolves with the
   * record once accepted; its file hash is known once `whenStaged` resolves.
   */
  async startPush(session: string, destPath: string, source: PushSource, targets: string[]): Promise<TransferRecord> {
    let record: TransferRecord;
    try {
      if (this.suspended) throw stoppingError();
      const identity = await sourceIdentity(source.file);
      record = { ...newRecord('push', session, destPath, identity.size, targets), source: { path: source.name, identity }, mirror: 'pending' };
      await ensureDirDurable(this.stagingDir(record.id));
    } catch (err) {
      await source.close();
      throw err;
    }
    let live: LiveTransfer;
    try {
      live = await this.create(record, new StagingGate(chunkCount(record), 0));
    } catch (err) {
      await source.close();
      await rm(this.stagingDir(record.id), { recursive: true, force: true });
      throw err;
    }
    this.track(this.runStaging(live, source));
    return record;
  }

  /** Resolves once every chunk of the transfer is staged; rejects with the reason staging failed. */
  async whenStaged(transferId: string): Promise<TransferRecord> {
    const live = this.live.get(transferId) ?? this.finished.get(transferId);
    if (!live) throw new MeshError('TRANSFER_NOT_FOUND', `transfer ${transferId} is not running`);
    await live.staging.whenComplete(STAGING_WAIT_MS);
    return live.record;
  }

  /** Resolves once a push is in the hub mirror; rejects when that failed or the transfer ended without it. */
  whenMirrored(transferId: string): Promise<void> {
    const live = this.live.get(transferId) ?? this.finished.get(transferId);
    if (!live) return Promise.reject(new MeshError('TRANSFER_NOT_FOUND', `transfer ${transferId} is not running`));
    return live.mirrored.promise;
  }

  private track(run: Promise<void>): void {
    const tracked: Promise<void> = run
      .catch((err) => this.deps.log.error({ err: toMeshError(err).message }, 'staging run failed'))
      .finally(() => this.stagingRuns.delete(tracked));
    this.stagingRuns.add(tracked);
  }

  /** Stage a push's remaining chunks from `source`; a failure fails the push everywhere, a hub stop leaves it to continue after the restart. */
  private async runStaging(live: LiveTransfer, source: PushSource): Promise<void> {
    const { record } = live;
    const what = `source "${record.source?.path ?? record.path}"`;
    try {
      await stageChunks({
        record,
        stagingDir: this.stagingDir(record.id),
        read: readerOfHandle(source.file, what),
        signal: AbortSignal.any([this.stopStaging.signal, live.abort.signal]),
        // The last chunk becomes fetchable only once the source is shown unchanged since the push began:
        // a file written meanwhile may be a mix of old and new chunks, and no node may complete it.
        beforeComplete: async () => {
          if (!record.source || !sameSource(await sourceIdentity(source.file), record.source.identity)) throw sourceChanged(what);
        },
        onDurable: (chunks, complete) => this.noteStaged(live, chunks, complete),
      });
      this.deps.log.info({ transfer: record.id, path: record.path, chunks: record.chunks.length, sha256: record.sha256 }, 'staging finished');
      this.maybeCommitMirror(live);
    } catch (err) {
      if (this.suspended || live.abort.signal.aborted) return; // kept for the restart, or cancelled (cancel() cleans up)
      await this.failTransfer(live, toMeshError(err));
    } finally {
      await source.close();
    }
  }

  /** Chunks durable in the data file: stored with the record, then fetchable. */
  private async noteStaged(live: LiveTransfer, chunks: ChunkInfo[], complete: boolean): Promise<void> {
    const { record } = live;
    const next: TransferRecord = { ...record, chunks: [...record.chunks, ...chunks] };
    if (complete) {
      next.sha256 = fileHashOf(next.chunks);
      next.staged = true;
    }
    await this.deps.store.putTransfer(next);
    record.chunks = next.chunks;
    record.sha256 = next.sha256;
    record.staged = next.staged;
    if (complete) live.staging.finish();
    else live.staging.advance(record.chunks.length);
  }

  /** Staging failed (the source changed, a disk error): every target's delivery fails, part files go, nothing reaches the mirror. */
  private async failTransfer(live: LiveTransfer, err: MeshError): Promise<void> {
    const { record } = live;
    this.deps.log.warn({ transfer: record.id, path: record.path, code: err.code, err: err.message }, 'transfer failed while staging');
    live.staging.fail(err);
    live.mirrored.reject(err);
    live.abort.abort(err);
    const error = { code: err.code, message: err.message };
    await Promise.all(
      record.targets.map(async (node) => {
        if (live.deliveries.get(node)?.state !== 'pending') return;
        await this.deps.registry.get(node)?.request('cancel', { transferId: record.id, session: record.session, path: record.path }, { timeoutMs: 15_000 }).catch(() => {});
        settle(live, { node, status: 'failed', error });
      }),
    );
    this.retire(live);
    await this.forget(record, [...live.deliveries.values()]);
  }

  private async create(record: TransferRecord, gate: StagingGate): Promise<LiveTransfer> {
    const { id } = record;
    // No broadcast orphans: the transfer and every pending delivery are
    // stored before the first byte goes out.
    await this.deps.store.putTransfer(record);
    const deliveries = record.targets.map((node): DeliveryRecord => ({ transferId: id, node, state: 'pending', verifiedChunks: 0, bytes: 0, updatedAt: Date.now() }));
    await Promise.all(deliveries.map((d) => this.deps.store.putDelivery(d)));
    const live = newLive(record, deliveries, gate);
    live.requestId = currentRequestId(); // the write or push call creating it, if any
    this.live.set(id, live);
    for (const node of record.targets) this.touch(record, node);
    await this.supersedeOlder(live);
    if (record.targets.length === 0) await this.finishIfDone(live);
    for (const node of record.targets) if (this.deps.registry.isOnline(node)) this.lane(node).enqueue(id, laneKey(record));
    this.deps.log.info({ transfer: id, kind: record.kind, session: record.session, path: record.path, size: record.size, chunks: chunkCount(record), targets: record.targets }, 'transfer created');
    return live;
  }

  /** The staged data file of a transfer, which Fetch streams read. */
  dataFile(transferId: string): string {
    return dataFile(this.stagingDir(transferId));
  }

  /** For Fetch: resolves once chunk `index` of a running transfer is staged; rejects once the transfer is cancelled or failed. */
  whenChunkStaged(transferId: string, index: number, timeoutMs: number): Promise<void> {
    const live = this.live.get(transferId);
    if (!live) return Promise.reject(new MeshError('TRANSFER_NOT_FOUND', `transfer ${transferId} is not running`));
    // Cancelled or failed: no further chunk goes out, staged or not, while the nodes are being told.
    if (live.abort.signal.aborted) return Promise.reject(toMeshError(live.abort.signal.reason));
    return live.staging.whenStaged(index, timeoutMs);
  }

  /**
   * The hub is stopping: staging stops where it is (what is durable stays,
   * with the record) and no delivery is failed or cancelled for it, so every
   * accepted push continues after the restart.
   */
  async suspend(): Promise<void> {
    this.suspended = true;
    this.stopStaging.abort();
    await Promise.all([...this.stagingRuns]);
  }

  get isSuspended(): boolean {
    return this.suspended;
  }

  /**
   * A node attached (or joined a session): it removes the part files of
   * transfers that ended while it was away, then everything pending for it
   * runs.
   */
  nodeReady(node: string): void {
    const pending = [...this.live.values()].filter((t) => t.deliveries.get(node)?.state === 'pending').sort((a, b) => a.order - b.order);
    const keep = pending.map((t) => t.record.id);
    this.deps.registry.get(node)?.request('sweepParts', { keep }, { timeoutMs: 60_000 }).catch(() => {}); // an older node does not know it
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

  /** True when a delivery of `rel` to `node` was created or settled at or after `since` (ms on the monotonic clock, `monotonicMs`). */
  touchedSince(node: string, session: string, rel: string, since: number): boolean {
    return (this.touched.get(`${node}\0${session}\0${rel}`) ?? -Infinity) >= since;
  }

  private touch(record: TransferRecord, node: string): void {
    const now = monotonicMs();
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

  /**
   * Stop a transfer everywhere: running deliveries are cancelled and their
   * part files removed. False when it is too late: the push's mirror copy
   * is under way or made (its deliveries had all settled).
   */
  async cancel(transferId: string): Promise<boolean> {
    const live = this.live.get(transferId);
    if (!live) return !this.finished.has(transferId) || this.finished.get(transferId)!.record.mirror !== 'done';
    if (this.suspended) return false;
    if (live.mirroring || live.record.mirror === 'done') return false;
    // Streams end now, at their next chunk (whenChunkStaged): a node slow to answer the cancel below (up to 15 s) is not served meanwhile.
    const cancelled = new MeshError('CANCELLED', `transfer ${transferId} was cancelled`);
    live.abort.abort(cancelled);
    live.staging.fail(cancelled);
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
    live.mirrored.reject(cancelled);
    this.retire(live);
    await this.forget(live.record, [...live.deliveries.values()]);
    return true;
  }

  running(): TransferProgress[] {
    return [...this.live.values()].map((t) => ({
      transferId: t.record.id,
      kind: t.record.kind,
      session: t.record.session,
      path: t.record.path,
      size: t.record.size,
      stagedChunks: t.staging.staged,
      chunks: t.staging.total,
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
    // A lane runs deliveries of many calls, each started from whichever ended before it: each runs under its own call's id.
    if (!lane) this.lanes.set(node, (lane = new DeliveryLane(node, (n, id) => withRequestId(this.live.get(id)?.requestId, () => this.deliver(n, id)))));
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
      // A small file travels inline, so it waits for its staging; a large one is fetched as it is staged.
      if (live.record.size <= INLINE_MAX_BYTES) await live.staging.whenComplete(STAGING_WAIT_MS);
      const reply = await link.request('deliver', await deliverRequest(live.record, this.stagingDir(live.record.id)), { timeoutMs: DELIVER_TIMEOUT_MS, signal: attempt.signal });
      // The node fetched the last chunk, so staging is complete and the file hash known (unless staging failed).
      await live.staging.whenComplete(STAGING_WAIT_MS);
      if (reply.sha256 !== live.record.sha256) {
        throw new MeshError('CHECKSUM_MISMATCH', `node ${node} wrote SHA-256 ${reply.sha256}, expected ${live.record.sha256}`);
      }
      const wrongChunk = blake3Mismatch(reply.chunkBlake3 ?? [], live.record.chunks);
      if (wrongChunk !== undefined) {
        throw new MeshError('CHECKSUM_MISMATCH', `node ${node} checked chunk ${wrongChunk} against a BLAKE3 the hub did not stage`);
      }
      // The node holds the file, durably and verified: that is the outcome, whether or not the store
      // can take the note of it now. Unrecorded (the store is down), the delivery still reads pending
      // there, and after a restart the node answers it at once from the file it has.
      await this.record(live, node, 'done').catch((err: unknown) =>
        this.deps.log.warn({ node, transfer: transferId, err: toMeshError(err).message }, 'delivered, but the store could not record it'),
      );
      settle(live, { node, status: 'ok', sha256: reply.sha256, size: Number(reply.size), fetchedBytes: Number(reply.fetchedBytes) });
    } catch (err) {
      // cancel() or failTransfer() settles and forgets; a stopping hub keeps the delivery pending.
      if (live.abort.signal.aborted || this.suspended) return;
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
    if (this.suspended || this.live.get(live.record.id) !== live) return;
    if ([...live.deliveries.values()].some((d) => d.state === 'pending') || (live.record.kind === 'push' && live.record.mirror === 'pending')) {
      this.maybeCommitMirror(live); // which finishes the transfer once the mirror has it
      return;
    }
    // Staging and records go first: a transfer gone from status has left nothing behind.
    await this.forget(live.record, [...live.deliveries.values()]);
    this.retire(live);
    this.deps.log.info({ transfer: live.record.id, outcomes: [...live.deliveries.values()].map((d) => [d.node, d.state]) }, 'transfer finished');
  }

  /** Out of the running transfers; its outcomes stay readable a while. */
  private retire(live: LiveTransfer): void {
    if (this.live.get(live.record.id) === live) this.live.delete(live.record.id);
    this.finished.set(live.record.id, live);
    if (this.finished.size > KEEP_FINISHED) this.finished.delete(this.finished.keys().next().value!);
  }

  /**
   * A push goes into the hub mirror once it is staged and its deliveries
   * settled (done, failed, or waiting for a node that is offline): a push
   * cancelled before that leaves nothing there. The step is in the record,
   * so a restart redoes it.
   */
  private maybeCommitMirror(live: LiveTransfer): void {
    const { record } = live;
    if (this.suspended || live.mirroring || record.kind !== 'push' || record.mirror !== 'pending' || !live.staging.complete) return;
    if (live.abort.signal.aborted || this.live.get(record.id) !== live) return;
    if ([...live.deliveries.values()].some((d) => d.state === 'pending' && this.deps.registry.isOnline(d.node))) return;
    live.mirroring = (async () => {
      try {
        await this.deps.commitMirror(record.session, record.path, dataFile(this.stagingDir(record.id)));
        record.mirror = 'done';
        await this.deps.store.putTransfer({ ...record });
        live.mirrored.resolve();
        this.deps.log.info({ transfer: record.id, session: record.session, path: record.path }, 'push is in the mirror');
      } catch (err) {
        if (this.suspended) return; // redone after the restart
        const mesh = toMeshError(err);
        this.deps.log.error({ transfer: record.id, path: record.path, code: mesh.code, err: mesh.message }, 'push could not be put in the mirror');
        // Not retried forever: the waiting call is told, and drift reports the difference.
        record.mirror = 'done';
        live.mirrored.reject(mesh);
      }
      await this.finishIfDone(live);
    })();
  }

  /** Remove a finished transfer from the store and its staging from disk. */
  private async forget(record: TransferRecord, deliveries: DeliveryRecord[]): Promise<void> {
    await Promise.all(deliveries.map((d) => this.deps.store.deleteDelivery(d.transferId, d.node)));
    await this.deps.store.deleteTransfer(record.id);
    await rm(this.stagingDir(record.id), { recursive: true, force: true });
  }

  /** Last writer wins: an older pending delivery of the same path to the same node is dropped. */
  private async supersedeOlder(newerLive: LiveTransfer): Promise<void> {
    const newer = newerLive.record;
    for (const older of [...this.live.values()]) {
      const r = older.record;
      if (r.id === newer.id || r.session !== newer.session || r.path !== newer.path || older.order > newerLive.order) continue;
      // An older push not yet in the mirror must not land there after the newer file.
      if (r.kind === 'push' && r.mirror === 'pending' && !older.mirroring) {
        r.mirror = 'done';
        await this.deps.store.putTransfer({ ...r });
        older.mirrored.reject(new MeshError('CANCELLED', `superseded by transfer ${newer.id}`));
      }
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

function newRecord(kind: TransferRecord['kind'], session: string, destPath: string, size: number, targets: string[]): TransferRecord {
  return {
    format: TRANSFER_FORMAT,
    id: newTransferId(),
    kind,
    session,
    path: destPath,
    size,
    sha256: '',
    chunkSize: CHUNK_SIZE,
    chunks: [],
    staged: false,
    createdAt: Date.now(),
    targets: [...new Set(targets)].sort(),
  };
}

/** What a call is told when the hub stops under it: with a transfer id, that the transfer continues after the restart. */
export function stoppingError(transferId?: string, what = 'push'): MeshError {
  if (!transferId) return new MeshError('HUB_STOPPING', 'the hub is stopping and takes no new work; call again once it is back');
  return new MeshError(
    'HUB_STOPPING',
    `the hub is stopping; ${what} ${transferId} was accepted and continues when the hub is back: follow it with \`status\` (transfer ${transferId})`,
    { transferId },
  );
}
