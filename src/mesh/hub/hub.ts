// The hub core: owns the store, the registry of attached nodes, the session
// mirrors, transfers, drift and skills, and exposes one method per MCP tool.
// The tool layer and the gRPC layer both talk to this object only.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { MeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ensureDirDurable } from '../fs/durable.js';
import { normalizeSessionPath, validateSessionName } from '../fs/paths.js';
import { ensurePrivateRoot } from '../fs/private-mode.js';
import { resolveForWrite } from '../fs/resolve.js';
import { copyToTempInside, writeFileInside } from '../fs/safe-write.js';
import { ManifestStore } from '../store/manifest-store.js';
import { MeshStore } from '../store/mesh-store.js';
import { handleAttach, JOIN_RATE } from './attach.js';
import { DriftMonitor } from './drift.js';
import { ManifestIntake } from './manifest-intake.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc-server.js';
import { HubFiles } from './hub-files.js';
import { AUTO_PROMOTE_QUIET_MS, MAX_WRITE_BYTES, WRITE_WAIT_MS, type HubOptions } from './hub-options.js';
import { Membership } from './membership.js';
import { Registry } from './registry.js';
import { AuthWatch } from './auth-watch.js';
import { parseSharedToken, type SharedTokenSpec } from './grants.js';
import { NodeAuthority } from './node-auth.js';
import { OpenCalls } from './open-calls.js';
import { NODE_LOG_RATE, RateLimiter } from './rate-limit.js';
import { handleFetch } from './transfer-serve.js';
import { TransferManager, type NodeOutcome, type TransferProgress } from './transfer-manager.js';
import { HubSkills } from './hub-skills.js';
import { sweepMirrorTemps } from './mirror-sweep.js';
import { openSource } from './source-roots.js';
import { stagingStats } from './transfer-stage.js';

export interface WriteResult {
  session: string;
  path: string;
  sha256: string;
  size: number;
  outcomes: NodeOutcome[];
}

export interface PushResult extends WriteResult {
  transferId: string;
  chunks: number;
}

export interface PushProgress {
  /** Bytes verified on nodes, summed over targets. */
  done: number;
  /** size x number of targets. */
  total: number;
}

export interface StatusReport {
  hubId: string;
  grpc: string;
  store: string;
  sessions: Array<{ name: string; members: Array<{ node: string; online: boolean }> }>;
  online: string[];
  transfers: TransferProgress[];
  drift: DriftMonitor['events'];
  /** Manifests held for attached nodes: sequence, files and store bytes per copy. */
  manifests: ReturnType<ManifestIntake['summary']>;
  staging: typeof stagingStats;
  /** Event-loop delay since the hub started (or since `resetEventLoopDelay`), ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/** Sampling period of the event-loop delay histogram, ms (Node.js default). */
const LOOP_DELAY_RESOLUTION_MS = 10;

/** The histogram records whole timer periods (ns); the delay is what exceeds the period. */
function loopDelayMs(periodNs: number): number {
  return Math.max(0, periodNs / 1e6 - LOOP_DELAY_RESOLUTION_MS);
}

export class Hub {
  readonly hubId = randomBytes(4).toString('hex');
  readonly registry = new Registry();
  readonly membership: Membership;
  readonly transfers: TransferManager;
  readonly drift: DriftMonitor;
  readonly manifests: ManifestIntake;
  readonly files: HubFiles;
  readonly skills: HubSkills;
  private grpc: RunningGrpcServer | undefined;
  private authWatch: AuthWatch | undefined;
  /** Warnings a node can cause (bad frames, drift): a budget per node, so one node cannot flood the log. */
  private readonly nodeLog = new RateLimiter(NODE_LOG_RATE);
  private readonly mayLog = (node: string): boolean => this.nodeLog.take(node);
  private readonly joinLimiter = new RateLimiter(JOIN_RATE);
  private readonly autoPromoteTimers = new Map<string, NodeJS.Timeout>();
  /** Mirror paths being written right now ("session\0path" -> writers). */
  private readonly changing = new Map<string, number>();
  private readonly log: Logger;
  /** "Never block the loop" made observable: status and the responsiveness benchmark read it. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  private constructor(
    readonly options: HubOptions,
    readonly store: MeshStore,
    private readonly manifestStore: ManifestStore,
  ) {
    this.log = options.log;
    this.loopDelay.enable();
    this.membership = new Membership(store);
    this.transfers = new TransferManager({
      store,
      registry: this.registry,
      log: this.log,
      stagingRoot: path.join(options.dataDir, 'staging'),
      isMember: (session, node) => this.membership.has(session, node),
    });
    this.drift = new DriftMonitor({
      mode: options.driftMode,
      log: this.log,
      transfers: this.transfers,
      mirrorRoot: (s) => this.mirrorRoot(s),
      isChanging: (s, rel) => this.changing.has(`${s}\0${rel}`),
      mayLog: this.mayLog,
      afterMirrorScan: options.hooks?.afterMirrorScan,
    });
    this.manifests = new ManifestIntake({
      store: manifestStore,
      drift: this.drift,
      log: this.log,
      ack: (node, manifestAck) => this.registry.get(node)?.send({ manifestAck }),
      mayLog: this.mayLog,
    });
    this.files = new HubFiles({ membership: this.membership, registry: this.registry, mirrorRoot: (s) => this.mirrorRoot(s) });
    this.skills = new HubSkills({
      store,
      membership: this.membership,
      registry: this.registry,
      log: this.log,
      libraryRoot: path.join(options.dataDir, 'skills'),
      sessionsRoot: path.join(options.dataDir, 'sessions'),
      mirrorRoot: (s) => this.mirrorRoot(s),
    });
  }

  static async start(options: HubOptions): Promise<Hub> {
    const dataDir = path.resolve(options.dataDir);
    await ensurePrivateRoot(dataDir, options.log, 'data folder');
    await ensureDirDurable(path.join(dataDir, 'sessions'));
    const store = await MeshStore.open(options.storeUrl, dataDir);
    const manifestStore = await ManifestStore.open(options.storeUrl, dataDir).catch(async (err: unknown) => {
      await store.close();
      throw err;
    });
    const hub = new Hub({ ...options, dataDir }, store, manifestStore);
    try {
      await hub.restore();
      await hub.listen();
    } catch (err) {
      await hub.stop();
      throw err;
    }
    return hub;
  }

  get grpcAddress(): string {
    return this.grpc?.address ?? this.options.grpcAddress;
  }

  mirrorRoot(session: string): string {
    return path.join(this.options.dataDir, 'sessions', validateSessionName(session));
  }

  /** Rebuild memory from the store and the data folder; finish what a crash interrupted. */
  private async restore(): Promise<void> {
    const snapshot = await this.store.load();
    this.membership.load(snapshot.memberships);
    for (const dir of await readdir(path.join(this.options.dataDir, 'sessions'))) {
      this.membership.noteSession(dir);
      // A write cut short by a crash left its temp file beside the target; nothing will commit it now.
      await sweepMirrorTemps(path.join(this.options.dataDir, 'sessions', dir), this.log);
    }
    await this.transfers.load(snapshot);
    await this.skills.restore(snapshot);
    this.log.info(
      { store: this.store.describe, memberships: snapshot.memberships.length, pendingTransfers: this.transfers.running().length },
      'state restored from the store',
    );
  }

  private async listen(): Promise<void> {
    const shared = this.options.nodeTokens.map(parseSharedToken);
    const authority = new NodeAuthority(shared, this.store, (node) => this.registry.isOnline(node));
    const calls = new OpenCalls();
    this.grpc = await startGrpcServer(
      {
        attach: (call, open) =>
          handleAttach(call as never, open, {
            hubId: this.hubId,
            membership: this.membership,
            registry: this.registry,
            authority,
            log: this.log,
            onSessionsReady: (link, sessions) => {
              this.transfers.nodeReady(link.nodeId);
              this.skills.nodeReady(link.nodeId);
              for (const s of sessions) void this.manifests.sync(link.nodeId, s);
            },
            onSessionsLeft: async (node, sessions) => {
              await this.transfers.dropNode(node, sessions);
              for (const s of sessions) await this.manifests.forget(node, s);
            },
            onDetached: (node) => this.manifests.detach(node, this.membership.sessionsOf(node)),
            onManifest: (link, report) => this.manifests.onReport(link.nodeId, report),
            onManifestDelta: (link, delta) => this.manifests.onDelta(link.nodeId, delta),
            onProgress: (link, progress) => this.transfers.onProgress(link.nodeId, progress),
            mayLog: this.mayLog,
            joinLimiter: this.joinLimiter,
          }),
        fetch: (call, open) =>
          handleFetch(call as never, open, {
            log: this.log,
            transferFor: (id, node) => this.transfers.transferFor(id, node),
            stagingDir: (id) => this.transfers.stagingDir(id),
            cache: this.transfers.chunkCache,
            countSent: (id, node, bytes) => this.transfers.countSent(id, node, bytes),
            openFetches: (node) => calls.count(node, 'fetch'),
            mayLog: this.mayLog,
          }),
      },
      (metadata) => authority.verify(metadata.get('authorization')[0], metadata.get('x-mesh-node')[0]),
      calls,
      { address: this.options.grpcAddress, tls: this.options.tls, insecure: this.options.insecure },
      this.log,
    );
    this.authWatch = new AuthWatch({ store: this.store, authority, calls, log: this.log });
    await this.authWatch.start();
    this.log.info({ grpc: this.grpc.address, tls: Boolean(this.options.tls), hubId: this.hubId }, 'hub listening for nodes');
    await this.warnAboutTokens(shared);
  }

  private async warnAboutTokens(shared: SharedTokenSpec[]): Promise<void> {
    const unscoped = shared.filter((t) => !t.grants).length;
    if (unscoped > 0) {
      this.log.warn(
        { tokens: unscoped },
        "MESH_NODE_TOKENS has tokens without a scope: they enrol nodes into every session; write TOKEN@session1+session2 (or TOKEN@* to keep this knowingly)",
      );
    }
    const minted = await this.store.listTokens();
    const legacy = minted.filter((t) => !t.record.revokedAt && !t.record.sessions).length;
    if (legacy > 0) this.log.warn({ tokens: legacy }, 'minted tokens without grants admit every session; narrow them with `mesh-assistant token grant ID a,b --replace`');
    if (shared.length === 0 && minted.every((t) => t.record.revokedAt)) {
      this.log.warn('no node token is accepted yet: set MESH_NODE_TOKENS, or run `mesh-assistant token create`');
    }
  }

  /** Create a session's mirror folder on first use. */
  async ensureSession(session: string): Promise<string> {
    const root = this.mirrorRoot(session);
    await ensureDirDurable(root);
    this.membership.noteSession(session);
    return root;
  }

  /** Durable write to the mirror, then delivery to every member on its own lane. */
  async write(session: string, rel: string, data: Buffer, waitMs = WRITE_WAIT_MS): Promise<WriteResult> {
    validateSessionName(session);
    const p = normalizeSessionPath(rel);
    if (data.length > MAX_WRITE_BYTES) {
      throw new MeshError('TOO_LARGE', `write of ${data.length} bytes exceeds the ${MAX_WRITE_BYTES}-byte limit; use push for large files`);
    }
    const root = await this.ensureSession(session);
    // Through the promotion gate: a write under a skill folder being promoted is refused, never lost.
    const { id, sha256 } = await this.skills.guardWrite(session, p, () =>
      this.whileChanging(session, p, async () => {
        await writeFileInside(root, p, data);
        return this.transfers.createFromBuffer('write', session, p, data, this.membership.membersOf(session));
      }),
    );
    const outcomes = await this.transfers.outcomes(id, { timeoutMs: waitMs });
    if (this.options.autoPromote) this.scheduleAutoPromote(session, p);
    return { session, path: p, sha256, size: data.length, outcomes };
  }

  /**
   * Run `fn` while a mirror path is changing: between the mirror write and
   * the transfer that carries it (or, for a push, until the mirror copy is
   * in place) a node's copy differs for a good reason, so drift checks leave
   * that path alone instead of "repairing" it with a stale version.
   */
  private async whileChanging<T>(session: string, rel: string, fn: () => Promise<T>): Promise<T> {
    const key = `${session}\0${rel}`;
    this.changing.set(key, (this.changing.get(key) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const left = this.changing.get(key)! - 1;
      if (left > 0) this.changing.set(key, left);
      else this.changing.delete(key);
    }
  }

  /**
   * --auto-promote: a write under skills/<name>/ promotes that skill once
   * writes to it have been quiet for a moment (a skill is written file by
   * file, and a promoted folder becomes a link into the library) and its
   * SKILL.md is valid. An incomplete skill is simply not promoted yet.
   */
  private scheduleAutoPromote(session: string, written: string): void {
    const match = /^skills\/([^/]+)\//.exec(written);
    if (!match) return;
    const key = `${session}\0${match[1]}`;
    clearTimeout(this.autoPromoteTimers.get(key));
    const timer = setTimeout(() => {
      this.autoPromoteTimers.delete(key);
      this.skills.promote(session, `skills/${match[1]}`, { replace: true }).then(
        (result) => this.log.info({ session, skill: result.name, status: result.status }, 'skill auto-promoted'),
        (err) => this.log.info({ session, skill: match[1], err: (err as Error).message }, 'skill not promoted automatically (yet)'),
      );
    }, this.options.autoPromoteQuietMs ?? AUTO_PROMOTE_QUIET_MS);
    this.autoPromoteTimers.set(key, timer);
  }

  /** Chunked, resumable push of a file under the source roots to every member. */
  async push(
    session: string,
    source: string,
    dest: string | undefined,
    options: { signal?: AbortSignal; onProgress?: (p: PushProgress) => void } = {},
  ): Promise<PushResult> {
    validateSessionName(session);
    this.membership.requireSession(session);
    const opened = await openSource(this.options.sourceRoots, source);
    try {
      const p = normalizeSessionPath(dest ?? opened.name);
      const root = await this.ensureSession(session);
      // Through the promotion gate, from resolving the mirror path to the final rename.
      return await this.skills.guardWrite(session, p, async () => {
        await resolveForWrite(root, p); // refuse early, before anything is staged
        return this.whileChanging(session, p, () => this.pushInto(session, p, opened.file, root, options));
      });
    } finally {
      await opened.close();
    }
  }

  private async pushInto(
    session: string,
    p: string,
    file: FileHandle,
    root: string,
    options: { signal?: AbortSignal; onProgress?: (p: PushProgress) => void },
  ): Promise<PushResult> {
    const targets = this.membership.membersOf(session);
    const transfer = await this.transfers.createFromFile('push', session, p, file, targets, options.signal);
    const id = transfer.id;
    // The mirror gets the file too (it is the authoritative copy): a kernel
    // copy into a temp name and fsync now, the durable rename only once the
    // push was not cancelled. A cancelled push left in the mirror would be
    // "repaired" onto the nodes by drift detection at their next attach.
    const mirrored = copyToTempInside(root, p, file);
    mirrored.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
    const ticker = options.onProgress && setInterval(() => options.onProgress!(this.pushProgress(id)), 250);
    let committed = false;
    try {
      const outcomes = await this.transfers.outcomes(id, { timeoutMs: 24 * 3600_000, signal: options.signal });
      if (options.signal?.aborted) {
        await this.transfers.cancel(id);
        throw new MeshError('CANCELLED', `push of ${p} was cancelled; no partial file was left on any node`);
      }
      await (await mirrored).commit();
      committed = true;
      return { session, path: p, transferId: id, sha256: transfer.sha256, size: transfer.size, chunks: transfer.chunks.length, outcomes };
    } finally {
      if (ticker) clearInterval(ticker);
      const pending = await mirrored.catch((err) => void this.log.error({ err: (err as Error).message }, 'mirror copy failed'));
      if (pending && !committed) await pending.discard();
    }
  }

  private pushProgress(id: string): PushProgress {
    const t = this.transfers.running().find((r) => r.transferId === id);
    if (!t) return { done: 1, total: 1 };
    return { done: t.nodes.reduce((a, n) => a + (n.state === 'done' ? t.size : n.bytes), 0), total: t.size * t.nodes.length };
  }

  status(): StatusReport {
    const online = this.registry.online();
    return {
      hubId: this.hubId,
      grpc: this.grpcAddress,
      store: this.store.describe,
      sessions: this.membership.sessions().map((name) => ({
        name,
        members: this.membership.membersOf(name).map((node) => ({ node, online: online.includes(node) })),
      })),
      online,
      transfers: this.transfers.running(),
      drift: this.drift.events.slice(-50),
      manifests: this.manifests.summary(),
      staging: { ...stagingStats },
      eventLoopDelayMs: {
        p50: loopDelayMs(this.loopDelay.percentile(50)),
        p99: loopDelayMs(this.loopDelay.percentile(99)),
        max: loopDelayMs(this.loopDelay.max),
      },
    };
  }

  /** Start the event-loop delay figures of `status()` afresh (e.g. before a measured push). */
  resetEventLoopDelay(): void {
    this.loopDelay.reset();
  }

  async stop(): Promise<void> {
    for (const t of this.autoPromoteTimers.values()) clearTimeout(t);
    this.loopDelay.disable();
    await this.authWatch?.stop();
    this.registry.closeAll();
    await this.grpc?.close();
    await this.store.close().catch(() => {});
    await this.manifestStore.close().catch(() => {});
  }
}
