// The hub core: owns the store, the registry of attached nodes, the session
// mirrors, transfers, drift and skills, and exposes one method per MCP tool.
// The tool layer and the gRPC layer both talk to this object only.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { MeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ensureDirDurable } from '../fs/durable.js';
import { normalizeSessionPath, validateSessionName } from '../fs/paths.js';
import { ensurePrivateRoot } from '../fs/private-mode.js';
import { resolveForWrite } from '../fs/resolve.js';
import { linkIntoPlace, writeFileInside } from '../fs/safe-write.js';
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
import { acquireDataLock, type DataLock } from './data-lock.js';
import { parseSharedToken, type SharedTokenSpec } from './grants.js';
import { NodeAuthority } from './node-auth.js';
import { OpenCalls } from './open-calls.js';
import { NODE_LOG_RATE, RateLimiter } from './rate-limit.js';
import { fetchHandler, type FetchDeps } from './transfer-serve.js';
import { FetchPaths, type FetchPort } from './fetch-paths.js';
import { FetchWorkerHost } from './fetch-worker-host.js';
import { joinHostPort, splitHostPort } from '../protocol/address.js';
import { stoppingError, TransferManager, type NodeOutcome, type PushSource, type TransferProgress } from './transfer-manager.js';
import { HubSkills } from './hub-skills.js';
import { editFile, type EditResult } from './hub-edit.js';
import { HubFileOps } from './hub-file-ops.js';
import { HubSearch } from './hub-search.js';
import { PathLocks, pathKey } from './path-locks.js';
import type { TextEdit } from '../fs/text-edit.js';
import { writeFileIfUnchanged } from '../fs/cas-write.js';
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
  /** The file's size, bytes. */
  size?: number;
  /** Each target: bytes it has verified, and whether it holds the whole file. */
  nodes?: Array<{ node: string; bytes: number; done: boolean }>;
}

export interface StatusReport {
  hubId: string;
  grpc: string;
  /** Where the fetch worker serves Fetch (HOST:PORT), if it runs. */
  grpcFetch?: string;
  /** The port each node's latest Fetch came in on, since the hub started. */
  fetchVia: Record<string, FetchPort>;
  store: string;
  sessions: Array<{ name: string; members: Array<{ node: string; online: boolean }> }>;
  online: string[];
  /** Folders `push` may read from (--source-root). */
  sourceRoots: string[];
  transfers: TransferProgress[];
  drift: DriftMonitor['events'];
  /** Manifests held for attached nodes: sequence, files and store bytes per copy. */
  manifests: ReturnType<ManifestIntake['summary']>;
  staging: typeof stagingStats;
  /** Event-loop delay since the hub started (or since `resetEventLoopDelay`), ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/** `work`, or the error of `onAbort` once `signal` aborts, whichever comes first. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
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
  /** One writer at a time per mirror path: write, edit, a push's final rename, rm, mv. */
  readonly locks = new PathLocks();
  readonly fileOps: HubFileOps;
  readonly search: HubSearch;
  private grpc: RunningGrpcServer | undefined;
  /** The fetch port, serving only Fetch over the data wire from a worker thread (undefined when `off`). */
  private fetchWorker: FetchWorkerHost | undefined;
  private authWatch: AuthWatch | undefined;
  /** Held from start to stop: one hub per data folder. */
  private dataLock: DataLock | undefined;
  /** Warnings a node can cause (bad frames, drift): a budget per node, so one node cannot flood the log. */
  private readonly nodeLog = new RateLimiter(NODE_LOG_RATE);
  private readonly mayLog = (node: string): boolean => this.nodeLog.take(node);
  private readonly joinLimiter = new RateLimiter(JOIN_RATE);
  private readonly autoPromoteTimers = new Map<string, NodeJS.Timeout>();
  /** Mirror paths being written right now ("session\0path" -> writers). */
  private readonly changing = new Map<string, number>();
  private readonly log: Logger;
  /** Set once the hub stops taking work; pending push and write calls are told their transfer continues after the restart. */
  private readonly stopping = new AbortController();
  /** Which port each node's file data comes over: the status views, and a warning when a node falls back. */
  private readonly fetchPaths: FetchPaths;
  /** "Never block the loop" made observable: status and the responsiveness benchmark read it. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  private constructor(
    readonly options: HubOptions,
    readonly store: MeshStore,
    private readonly manifestStore: ManifestStore,
  ) {
    this.log = options.log;
    this.fetchPaths = new FetchPaths(this.log, () => (this.fetchWorker?.port ? this.fetchWorker.address : undefined));
    this.loopDelay.enable();
    this.membership = new Membership(store);
    this.transfers = new TransferManager({
      store,
      registry: this.registry,
      log: this.log,
      stagingRoot: path.join(options.dataDir, 'staging'),
      isMember: (session, node) => this.membership.has(session, node),
      openSource: (name) => this.openPushSource(name),
      commitMirror: async (session, rel, stagedData) => {
        const root = await this.ensureSession(session);
        // Through the promotion gate (the push's own call may be long gone: after a restart, or a client that gave up),
        // and under the path's lock, like every other mirror change: an edit's compare-and-swap must not interleave with it.
        await this.skills.guardWrite(session, rel, () =>
          this.locks.run([pathKey(session, rel)], () => this.whileChanging(session, rel, () => linkIntoPlace(root, rel, stagedData))),
        );
      },
    });
    this.drift = new DriftMonitor({
      mode: options.driftMode,
      log: this.log,
      transfers: this.transfers,
      mirrorRoot: (s) => this.mirrorRoot(s),
      isChanging: (s, rel) => this.changing.has(`${s}\0${rel}`),
      mayLog: this.mayLog,
      afterMirrorScan: options.hooks?.afterMirrorScan,
      isSettling: (node, s, rel, receivedAt) => this.fileOps.isSettling(node, s, rel, receivedAt),
    });
    this.files = new HubFiles({
      membership: this.membership,
      registry: this.registry,
      mirrorRoot: (s) => this.mirrorRoot(s),
      libraryRoot: path.join(options.dataDir, 'skills'),
    });
    this.search = new HubSearch({ files: this.files, registry: this.registry, mirrorRoot: (s) => this.mirrorRoot(s) });
    this.fileOps = new HubFileOps({
      store,
      membership: this.membership,
      registry: this.registry,
      transfers: this.transfers,
      log: this.log,
      locks: this.locks,
      mirrorRoot: (s) => this.mirrorRoot(s),
      guard: (s, rel, fn) => this.skills.guardWrite(s, rel, fn),
    });
    this.manifests = new ManifestIntake({
      store: manifestStore,
      drift: this.drift,
      log: this.log,
      ack: (node, manifestAck) => this.registry.get(node)?.send({ manifestAck }),
      mayLog: this.mayLog,
    });
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
    // Before the store, the mirrors or a port: a second hub on this folder must touch nothing.
    const dataLock = await acquireDataLock(dataDir);
    let store: MeshStore;
    let manifestStore: ManifestStore;
    try {
      await ensureDirDurable(path.join(dataDir, 'sessions'));
      // The library exists from the start, so reads resolve its real path once
      // (skill-read-scope.ts) instead of failing a realpath on every call until
      // the first promotion.
      await ensureDirDurable(path.join(dataDir, 'skills'));
      store = await MeshStore.open(options.storeUrl, dataDir);
      manifestStore = await ManifestStore.open(options.storeUrl, dataDir).catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
    } catch (err) {
      await dataLock.release();
      throw err;
    }
    const hub = new Hub({ ...options, dataDir }, store, manifestStore);
    hub.dataLock = dataLock;
    try {
      await hub.restore();
      await hub.listen();
      await dataLock.announce({ grpc: hub.grpcAddress });
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
    this.fileOps.load(snapshot.fileOps);
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
    const fetchDeps: FetchDeps = {
      log: this.log,
      transferFor: (id, node) => this.transfers.transferFor(id, node),
      whenStaged: (id, index, timeoutMs) => this.transfers.whenChunkStaged(id, index, timeoutMs),
      dataFile: (id) => this.transfers.dataFile(id),
      countSent: (id, node, bytes) => {
        this.transfers.countSent(id, node, bytes);
        this.options.observer?.bytesSent(node, bytes);
      },
      chunkServed: (ms) => this.options.observer?.chunkServed(ms),
      // Both ports together: the limit is per node, not per listener.
      openFetches: (node) => calls.count(node, 'fetch'),
      mayLog: this.mayLog,
      fetchedVia: (node, port) => this.fetchPaths.note(node, port),
    };
    this.grpc = await startGrpcServer(
      {
        attach: (call, open) =>
          handleAttach(call as never, open, {
            hubId: this.hubId,
            membership: this.membership,
            registry: this.registry,
            authority,
            log: this.log,
            onSessionsReady: (link, sessions) =>
              // Queued rm/mv first: a delivery queued after them must not land before them.
              this.fileOps.nodeReady(link.nodeId, () => {
                this.transfers.nodeReady(link.nodeId);
                this.skills.nodeReady(link.nodeId);
                for (const s of sessions) void this.manifests.sync(link.nodeId, s);
              }),
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
            fetchPort: () => this.fetchWorker?.port ?? 0,
          }),
        fetch: fetchHandler(fetchDeps) as never,
      },
      (metadata) => authority.verify(metadata.get('authorization')[0], metadata.get('x-mesh-node')[0]),
      calls,
      { address: this.options.grpcAddress, tls: this.options.tls, insecure: this.options.insecure },
      this.log,
    );
    const mainHost = splitHostPort(this.options.grpcAddress).host;
    const fetchAddress = this.options.grpcFetchAddress ?? joinHostPort(mainHost, 0);
    if (fetchAddress !== 'off') {
      const worker = FetchWorkerHost.start({
        address: fetchAddress,
        tls: this.options.tls,
        insecure: this.options.insecure,
        deps: fetchDeps,
        verify: (authorization, node) => authority.verify(authorization, node),
        calls,
        log: this.log,
      });
      // An address the operator chose must work; the default one may fail (nodes then fetch on the main port).
      this.fetchWorker = await (this.options.grpcFetchAddress === undefined
        ? worker.catch((err: unknown) => void this.log.error({ err: String(err) }, 'the fetch worker did not start; Fetch is served on the main port only'))
        : worker);
    }
    this.authWatch = new AuthWatch({ store: this.store, authority, calls, log: this.log });
    await this.authWatch.start();
    this.log.info(
      { grpc: this.grpc.address, grpcFetch: this.fetchWorker?.address ?? 'off', tls: Boolean(this.options.tls), hubId: this.hubId },
      'hub listening for nodes',
    );
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
    if (this.stopping.signal.aborted) throw stoppingError();
    const p = normalizeSessionPath(rel);
    const finish = await this.locks.run([pathKey(session, p)], () => this.commitWrite(session, p, data));
    return finish(waitMs);
  }

  /**
   * The mirror write and the transfer that carries it to the members: the
   * part of `write` that holds the path's lock (the caller takes it). The
   * returned function waits for the nodes' outcomes, after the lock is let go.
   * With `expectSha256`, the mirror copy is replaced only if it still hashes to it.
   */
  private async commitWrite(session: string, rel: string, data: Buffer, expectSha256?: string): Promise<(waitMs: number) => Promise<WriteResult>> {
    validateSessionName(session);
    // Checked again under the lock: an edit reaches here without passing `write`.
    if (this.stopping.signal.aborted) throw stoppingError();
    const p = normalizeSessionPath(rel);
    if (data.length > MAX_WRITE_BYTES) {
      throw new MeshError('TOO_LARGE', `write of ${data.length} bytes exceeds the ${MAX_WRITE_BYTES}-byte limit; use push for large files`);
    }
    const root = await this.ensureSession(session);
    // Through the promotion gate: a write under a skill folder being promoted is refused, never lost.
    const { id, sha256 } = await this.skills.guardWrite(session, p, () =>
      this.whileChanging(session, p, async () => {
        if (expectSha256 !== undefined) await writeFileIfUnchanged(root, p, data, expectSha256);
        else await writeFileInside(root, p, data);
        return this.transfers.createFromBuffer('write', session, p, data, this.membership.membersOf(session));
      }),
    );
    return async (waitMs) => {
      const outcomes = await this.untilStopping(this.transfers.outcomes(id, { timeoutMs: waitMs }), id, 'write');
      if (this.options.autoPromote) this.scheduleAutoPromote(session, p);
      return { session, path: p, sha256, size: data.length, outcomes };
    };
  }

  /** Exact-text edits of a mirror file, delivered like `write` (hub-edit.ts). */
  edit(session: string, rel: string, edits: readonly TextEdit[], dryRun = false): Promise<EditResult> {
    validateSessionName(session);
    return editFile(
      {
        mirrorRoot: (s) => this.mirrorRoot(s),
        requireSession: (s) => this.membership.requireSession(s),
        withLock: (s, p, fn) => this.locks.run([pathKey(s, p)], fn),
        commitIfUnchanged: async (s, p, data, expectSha256) => {
          const finish = await this.commitWrite(s, p, data, expectSha256);
          return () => finish(WRITE_WAIT_MS);
        },
      },
      session,
      rel,
      edits,
      dryRun,
    );
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
    if (this.stopping.signal.aborted) throw stoppingError();
    this.membership.requireSession(session);
    const opened = await this.openPushSource(source);
    let handedOver = false;
    try {
      const p = normalizeSessionPath(dest ?? opened.baseName);
      const root = await this.ensureSession(session);
      // Through the promotion gate, from resolving the mirror path to the final rename.
      return await this.skills.guardWrite(session, p, async () => {
        await resolveForWrite(root, p); // refuse early, before anything is staged
        handedOver = true;
        return this.whileChanging(session, p, () => this.pushInto(session, p, opened, options));
      });
    } finally {
      if (!handedOver) await opened.close();
    }
  }

  /** A push source, checked under the source roots; `name` is kept to open it again after a restart. */
  private async openPushSource(source: string): Promise<PushSource & { baseName: string }> {
    const opened = await openSource(this.options.sourceRoots, source);
    return { file: opened.file, name: source, baseName: opened.name, close: opened.close };
  }

  private async pushInto(
    session: string,
    p: string,
    source: PushSource,
    options: { signal?: AbortSignal; onProgress?: (p: PushProgress) => void },
  ): Promise<PushResult> {
    const targets = this.membership.membersOf(session);
    // From here the transfer owns the source: stored, delivered while staged, and put in the mirror once its deliveries settle.
    const transfer = await this.transfers.startPush(session, p, source, targets);
    const id = transfer.id;
    const ticker = options.onProgress && setInterval(() => options.onProgress!(this.pushProgress(id)), 250);
    const cancelled = () => new MeshError('CANCELLED', `push of ${p} was cancelled; no partial file was left on any node or in the mirror`);
    try {
      const { staged, outcomes } = await this.untilStopping(
        abortable(
          (async () => {
            const staged = await this.transfers.whenStaged(id);
            const outcomes = await this.transfers.outcomes(id, { timeoutMs: 24 * 3600_000, signal: options.signal });
            return { staged, outcomes };
          })(),
          options.signal,
          cancelled,
        ),
        id,
        'push',
      );
      if (options.signal?.aborted) throw cancelled();
      await this.untilStopping(this.transfers.whenMirrored(id), id, 'push');
      return { session, path: p, transferId: id, sha256: staged.sha256, size: staged.size, chunks: staged.chunks.length, outcomes };
    } catch (err) {
      if (!options.signal?.aborted || this.stopping.signal.aborted) throw err;
      // Cancelled: the transfer goes everywhere, unless it already reached its end (the mirror copy under way or made).
      if (await this.transfers.cancel(id)) throw cancelled();
      await this.transfers.whenMirrored(id);
      const staged = await this.transfers.whenStaged(id);
      const outcomes = await this.transfers.outcomes(id, { timeoutMs: 0 });
      return { session, path: p, transferId: id, sha256: staged.sha256, size: staged.size, chunks: staged.chunks.length, outcomes };
    } finally {
      if (ticker) clearInterval(ticker);
    }
  }

  /** `work`, unless the hub stops first: then the caller learns that transfer `id` continues after the restart. */
  private untilStopping<T>(work: Promise<T>, id: string, what: 'push' | 'write'): Promise<T> {
    if (this.stopping.signal.aborted) return Promise.reject(stoppingError(id, what));
    return new Promise<T>((resolve, reject) => {
      const onStop = () => reject(stoppingError(id, what));
      this.stopping.signal.addEventListener('abort', onStop, { once: true });
      work.then(resolve, reject).finally(() => this.stopping.signal.removeEventListener('abort', onStop));
    });
  }

  private pushProgress(id: string): PushProgress {
    const t = this.transfers.running().find((r) => r.transferId === id);
    if (!t) return { done: 1, total: 1 };
    return {
      done: t.nodes.reduce((a, n) => a + (n.state === 'done' ? t.size : n.bytes), 0),
      total: t.size * t.nodes.length,
      size: t.size,
      nodes: t.nodes.map((n) => ({ node: n.node, bytes: n.state === 'done' ? t.size : n.bytes, done: n.state === 'done' })),
    };
  }

  status(): StatusReport {
    const online = this.registry.online();
    return {
      hubId: this.hubId,
      grpc: this.grpcAddress,
      grpcFetch: this.fetchWorker?.address,
      fetchVia: this.fetchPaths.byNode(),
      store: this.store.describe,
      sessions: this.membership.sessions().map((name) => ({
        name,
        members: this.membership.membersOf(name).map((node) => ({ node, online: online.includes(node) })),
      })),
      online,
      sourceRoots: [...this.options.sourceRoots],
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

  /**
   * Take no new push or write, and tell every pending push and write call
   * that its transfer continues after the restart. Call before closing the
   * MCP servers, so those calls get that answer rather than a closed stream.
   */
  stopAccepting(): void {
    if (!this.stopping.signal.aborted) this.stopping.abort();
  }

  /**
   * Stop: no new work, running pushes kept as they are (their records and
   * staging stay; nodes keep their part files) and continued after the
   * restart; streams closed.
   */
  async stop(): Promise<void> {
    this.stopAccepting();
    await this.transfers.suspend();
    for (const t of this.autoPromoteTimers.values()) clearTimeout(t);
    this.fileOps.stop();
    this.files.close();
    this.loopDelay.disable();
    await this.authWatch?.stop();
    this.registry.closeAll();
    await Promise.all([this.grpc?.close(), this.fetchWorker?.close()]);
    await this.store.close().catch(() => {});
    await this.manifestStore.close().catch(() => {});
    await this.dataLock?.release();
  }

  /** Name the MCP HTTP address in the data folder's lock, so a second hub's refusal can point at it and a `hub --stdio` relay to it. */
  async announceHttp(url: string): Promise<void> {
    await this.dataLock?.announce({ http: url, mcp: url });
  }

  /** Name the admin listener's /mcp (MCP on stdio, no --http) in the data folder's lock, for a `hub --stdio` to relay to. */
  async announceMcp(url: string): Promise<void> {
    await this.dataLock?.announce({ mcp: url });
  }
}
