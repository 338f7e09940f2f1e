// The node agent: dials the hub, attaches, serves the hub's requests on its
// workspace, and re-attaches after any disconnect with jittered exponential
// backoff. State per attachment lives in `Attachment`; the agent only
// decides when to dial.
import type * as grpc from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { receivedRequestId, withRequestId } from '../../request-context.js';
import { validateNodeId, validateSessionName } from '../fs/paths.js';
import { ensurePrivateRoot } from '../fs/private-mode.js';
import type { HubFrame, NodeFrame, NodeFrameOut, Request } from '../protocol/frames.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { callMetadata, createHubClient } from './hub-client.js';
import { FetchRoute, type FetchRouteOptions } from './fetch-route.js';
import { credentialPath, loadCredential, saveCredential } from './credential-file.js';
import { NodeWorkspace } from './workspace.js';
import { RequestHandlers } from './request-handlers.js';
import { logServed } from './request-log.js';
import { DEFAULT_SCAN_INTERVAL_MS, ManifestReporter } from './manifest-reporter.js';
import { AGENT_VERSION } from '../../version.js';

export interface NodeAgentOptions extends FetchRouteOptions {
  workspace: string;
  /** Sessions to join on attach. */
  sessions?: string[];
  /** Interval of the verification scan of session copies, ms; 0: only at attach. Default 3,600,000 (an hour). */
  scanIntervalMs?: number;
  /** Watch session copies for changes (default true); false: changes are found by scans only. */
  watch?: boolean;
  /** Share of one core a verification scan may use; default 0.25. */
  scanShare?: number;
  /** Test hook: drop watcher events of a folder, as a full kernel queue would. */
  dropWatchEvent?(session: string, folder: string): boolean;
  /** Test hook: awaited between a folder's scan and recording its result. */
  afterFolderScan?(): Promise<void>;
  backoff?: Partial<BackoffPolicy>;
  log?: Logger;
}

export type AgentState = 'idle' | 'connecting' | 'attached' | 'waiting' | 'stopped';

export interface AgentEvents {
  attached: [sessions: string[]];
  detached: [reason: string];
  retry: [info: { attempt: number; delayMs: number }];
}

const HEARTBEAT_MS = 15_000;

export class NodeAgent extends EventEmitter<AgentEvents> {
  readonly workspace: NodeWorkspace;
  private readonly client: grpc.Client;
  /** Fetch streams: on the hub's fetch port when it names one, else on `client`. */
  private readonly fetchRoute: FetchRoute;
  private readonly log: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly handlers: RequestHandlers;
  /** Session copies: watched, indexed and reported. */
  readonly reporter: ManifestReporter;
  private readonly wantedSessions = new Set<string>();
  private call: grpc.ClientDuplexStream<NodeFrame, HubFrame> | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private nextJoinId = 1;
  /** Issued by the hub at enrolment; kept in the workspace. */
  private credential: string | undefined;
  /** The credential in use is the one kept in the workspace. */
  private credentialOnDisk = false;
  private readonly joins = new Map<number, { resolve(): void; reject(e: MeshError): void }>();
  state: AgentState = 'idle';
  sessions: string[] = [];

  constructor(private readonly options: NodeAgentOptions) {
    super();
    validateNodeId(options.nodeId);
    for (const s of options.sessions ?? []) this.wantedSessions.add(validateSessionName(s));
    this.log = options.log ?? silentLogger;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.client = createHubClient(options);
    this.workspace = new NodeWorkspace(path.resolve(options.workspace));
    this.reporter = new ManifestReporter(this.workspace, (frame) => this.sendPaced(frame), this.log, {
      scanIntervalMs: options.scanIntervalMs ?? DEFAULT_SCAN_INTERVAL_MS,
      watch: options.watch ?? true,
      scanShare: options.scanShare,
      dropWatchEvent: options.dropWatchEvent,
      afterFolderScan: options.afterFolderScan,
    });
    this.fetchRoute = new FetchRoute(this.client, options, () => this.metadata(), this.log);
    this.handlers = new RequestHandlers(
      this.workspace,
      (request, signal) => this.fetchRoute.fetch(request, signal),
      this.log,
      (frame) => this.send(frame),
      (session, rel, size, sha256) => this.reporter.noteDelivered(session, rel, size, sha256),
    );
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  async start(): Promise<void> {
    await ensurePrivateRoot(this.workspace.root, this.log, 'workspace');
    await this.workspace.recover(this.log);
    await this.reporter.open();
    this.credential = await loadCredential(this.workspace.root, this.options.nodeId);
    this.credentialOnDisk = this.credential !== undefined;
    this.dial();
  }

  /** The node's own credential once it has one; the configured token (which may only enrol) before. */
  private metadata(): grpc.Metadata {
    return callMetadata(this.options.nodeId, this.credential ?? this.options.token);
  }

  /** Join one more session; resolves once the hub has stored the membership. */
  join(session: string): Promise<void> {
    validateSessionName(session);
    this.wantedSessions.add(session);
    if (this.state !== 'attached') return Promise.resolve(); // sent in the next hello
    const id = this.nextJoinId++;
    return new Promise((resolve, reject) => {
      this.joins.set(id, { resolve, reject });
      this.send({ join: { id, session } });
    });
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    this.handlers.abortAll();
    this.call?.cancel();
    this.client.close();
    await this.reporter.close();
  }

  private send(frame: NodeFrameOut): void {
    if (this.state === 'attached') this.call?.write(frame as NodeFrame);
  }

  /**
   * Send, and resolve once the stream can take more: a manifest of 100,000
   * files goes out at the pace the hub reads it, instead of piling up in
   * this process's memory. Resolves at once when detached (the frame is dropped).
   */
  private sendPaced(frame: NodeFrameOut): Promise<void> {
    const call = this.call;
    if (this.state !== 'attached' || !call) return Promise.resolve();
    if (call.write(frame as NodeFrame)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        call.off('drain', done);
        call.off('close', done);
        resolve();
      };
      call.on('drain', done);
      call.on('close', done);
    });
  }

  private dial(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const usedCredential = this.credential !== undefined;
    const call = (this.client as unknown as { Attach(md: grpc.Metadata): grpc.ClientDuplexStream<NodeFrame, HubFrame> }).Attach(this.metadata());
    this.call = call;
    let ended = false;
    const onGone = (reason: string) => {
      if (ended) return;
      ended = true;
      this.detach(call, reason);
    };
    call.on('data', (frame: HubFrame) => this.onFrame(frame));
    call.on('error', (err: grpc.ServiceError) => {
      // A credential revoked (or reset by an operator) is dropped: the next
      // attempt uses the configured token, which re-enrols only after a reset.
      if (usedCredential && err.code === GrpcStatus.UNAUTHENTICATED && this.options.token) {
        this.log.warn({ err: err.details }, 'the hub refused this node credential; trying the configured token');
        this.credential = undefined;
        this.credentialOnDisk = false;
      }
      onGone(err.details || err.message);
    });
    call.on('end', () => onGone('hub ended the stream'));
    call.on('close', () => onGone('stream closed'));
    call.write({ hello: { nodeId: this.options.nodeId, sessions: [...this.wantedSessions], version: AGENT_VERSION } } as NodeFrame);
  }

  private onFrame(frame: HubFrame): void {
    switch (frame.kind) {
      case 'welcome':
        this.attempt = 0;
        this.state = 'attached';
        this.sessions = frame.welcome.sessions;
        this.fetchRoute.setPort(frame.welcome.dataPort);
        for (const d of frame.welcome.denied ?? []) this.log.warn({ session: d.session, code: d.error?.code, err: d.error?.message }, 'session denied by the hub');
        if (frame.welcome.credential) this.keepCredential(frame.welcome.credential);
        // Said after every welcome while the credential is on disk: a confirmation lost with a dropped stream
        // would leave the id open to a new enrolment whenever this node is offline.
        else if (this.credentialOnDisk) this.send({ enrolled: {} });
        for (const s of this.sessions) this.wantedSessions.add(s);
        // Before any later frame is handled: the hub's acknowledgements follow the welcome.
        this.reporter.attached(this.sessions);
        this.heartbeat = setInterval(() => this.send({ heartbeat: { atMs: Date.now() } }), HEARTBEAT_MS);
        this.log.info({ hub: this.options.hub, sessions: this.sessions }, 'attached');
        this.onWelcome().catch((err) => this.log.error({ err: toMeshError(err).message }, 'preparing sessions failed'));
        break;
      case 'request':
        this.onRequest(frame.request);
        break;
      case 'left':
        this.sessions = this.sessions.filter((s) => s !== frame.left.session);
        void this.reporter.untrack(frame.left.session);
        this.log.warn({ session: frame.left.session, code: frame.left.error?.code, err: frame.left.error?.message }, 'the hub ended this membership');
        break;
      case 'joined': {
        const waiter = this.joins.get(Number(frame.joined.id));
        this.joins.delete(Number(frame.joined.id));
        if (frame.joined.error?.code) waiter?.reject(MeshError.fromWire(frame.joined.error));
        else {
          if (!this.sessions.includes(frame.joined.session)) this.sessions = [...this.sessions, frame.joined.session].sort();
          this.workspace
            .ensureSession(frame.joined.session)
            .then(() => this.reporter.track(frame.joined.session))
            .then(() => waiter?.resolve(), (err) => waiter?.reject(toMeshError(err)));
        }
        break;
      }
      case 'manifestAck':
        this.reporter.onAck(frame.manifestAck);
        break;
      case 'heartbeat':
        break;
    }
  }

  /** Keep the credential issued at enrolment; until it is on disk the node keeps it in memory only. */
  private keepCredential(token: string): void {
    this.credential = token;
    this.credentialOnDisk = false;
    saveCredential(this.workspace.root, this.options.nodeId, token).then(
      () => {
        // Only now, with the credential on disk, may the hub stop accepting a new enrolment of this id.
        if (this.credential === token) this.credentialOnDisk = true;
        this.send({ enrolled: {} });
        this.log.info({ file: credentialPath(this.workspace.root) }, 'enrolled: this node now attaches with its own credential');
      },
      (err) => this.log.error({ err: toMeshError(err).message, file: credentialPath(this.workspace.root) }, 'could not keep the node credential; it enrols again after a restart'),
    );
  }

  private async onWelcome(): Promise<void> {
    for (const s of this.sessions) await this.workspace.ensureSession(s);
    this.emit('attached', this.sessions);
  }

  private onRequest(request: Request): void {
    const id = Number(request.id);
    const started = performance.now();
    // A reply goes back on the stream its request came on, or nowhere: request ids
    // are the hub's numbering for one stream, and a delivery that outlives its stream
    // (the node re-attached meanwhile) would otherwise answer whatever request of
    // the new stream has that number. The hub re-sends what is still pending.
    const stream = this.call;
    const reply = (frame: NodeFrameOut) => {
      if (stream === this.call) this.send(frame);
    };
    // The node's log lines for this work carry the id of the tool call that caused it, as the hub's do.
    withRequestId(receivedRequestId(request.requestId), () =>
      this.handlers.handle(request).then(
        (result) => {
          logServed(this.log, request, started);
          reply({ reply: { id, ...result } });
        },
        (err) => {
          const mesh = toMeshError(err);
          logServed(this.log, request, started, mesh);
          reply({ reply: { id, error: { code: mesh.code, message: mesh.message } } });
        },
      ),
    );
  }

  private detach(call: grpc.ClientDuplexStream<NodeFrame, HubFrame>, reason: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    clearInterval(this.heartbeat);
    this.reporter.detached();
    const wasAttached = this.state === 'attached';
    for (const waiter of this.joins.values()) waiter.reject(new MeshError('NODE_OFFLINE', 'detached before the join was stored'));
    this.joins.clear();
    if (this.state === 'stopped') return;
    if (wasAttached) this.emit('detached', reason);
    this.state = 'waiting';
    const delayMs = backoffDelay(this.attempt, this.backoff);
    this.log.warn({ reason, attempt: this.attempt, delayMs }, 'hub unreachable, retrying');
    this.emit('retry', { attempt: this.attempt, delayMs });
    this.attempt++;
    this.retryTimer = setTimeout(() => this.dial(), delayMs);
  }
}
