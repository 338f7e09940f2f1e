// The hub side of a node's control stream: hello -> enrol (first attach of
// an id with a shared token) -> reconcile memberships against the grants ->
// welcome, then replies, heartbeats, manifests, progress and joins. Every
// frame is validated here, at the protocol edge, before the hub sees it.
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { validateNodeId, validateSessionName } from '../fs/paths.js';
import type { Hello, ManifestDelta, ManifestReport, NodeFrame, Progress } from '../protocol/frames.js';
import { checkManifest, checkManifestDelta, checkProgress } from '../protocol/frame-checks.js';
import { grantsSession } from './grants.js';
import { notGranted, type Membership } from './membership.js';
import type { NodeAuthority } from './node-auth.js';
import { NodeLink, type ControlCall } from './node-link.js';
import type { OpenCall } from './open-calls.js';
import type { RateLimiter } from './rate-limit.js';
import type { Registry } from './registry.js';

/** Narrow view of the hub that the control stream needs. */
export interface AttachDeps {
  hubId: string;
  membership: Membership;
  registry: Registry;
  authority: NodeAuthority;
  log: Logger;
  /** Called after welcome, and after a join, so pending work can flow. */
  onSessionsReady(link: NodeLink, sessions: string[]): void;
  /** Memberships of `node` that ended (grant withdrawn): drop what was on its way there. */
  onSessionsLeft(node: string, sessions: string[]): Promise<void>;
  /** A manifest report or page; resolves once it is taken in (stored, or replaced by a newer one). */
  onManifest(link: NodeLink, report: ManifestReport): Promise<void>;
  onManifestDelta(link: NodeLink, delta: ManifestDelta): Promise<void>;
  /** The stream ended: per-stream state of the node can go. */
  onDetached?(node: string): void;
  onProgress(link: NodeLink, progress: Progress): void;
  /** Whether a warning caused by this node may be logged now (per-node log budget). */
  mayLog(node: string): boolean;
  /** Joins per node (JOIN_RATE). */
  joinLimiter: RateLimiter;
  /** The fetch worker's port, told to the node in its welcome; 0: Fetch on this (the main) port. */
  fetchPort(): number;
}

const HELLO_TIMEOUT_MS = 10_000;
/** Sessions one hello may name. */
export const MAX_SESSIONS_PER_HELLO = 256;
/** Manifest frames of one node being taken in at once; past it the stream is paused (HTTP/2 holds the node back). */
export const MAX_MANIFEST_FRAMES_IN_FLIGHT = 4;
/** Joins one node may ask for: a burst, then this many a minute. */
export const JOIN_RATE = { burst: 20, perMinute: 60 };

export function handleAttach(call: ControlCall, open: OpenCall, deps: AttachDeps): void {
  let link: NodeLink | undefined;
  /** Set when this stream enrols its node id: the enrolment is held until the stream ends (and its confirmation is stored). */
  let enrolling: Promise<string> | undefined;
  let confirming: Promise<void> = Promise.resolve();
  const peer = call.getPeer();
  /** Sessions this node asked for and was denied: joined by themselves if a grant arrives. */
  const denied = new Set<string>();
  const helloTimer = setTimeout(() => fail(new MeshError('INVALID_ARGUMENT', 'no hello within 10 s')), HELLO_TIMEOUT_MS);
  const granted = (session: string) => grantsSession(open.principal.grants, session);

  function fail(err: unknown): void {
    clearTimeout(helloTimer);
    const mesh = toMeshError(err);
    if (deps.mayLog(open.principal.node)) deps.log.warn({ peer, node: open.principal.node, code: mesh.code, err: mesh.message.slice(0, 300) }, 'control stream closed with an error');
    if (link) deps.registry.remove(link);
    open.end(mesh);
  }

  async function onHello(hello: Hello): Promise<void> {
    clearTimeout(helloTimer);
    validateNodeId(hello.nodeId);
    // Security: the id in the hello must be the one the call was authenticated for.
    if (open.principal.node !== hello.nodeId) {
      throw new MeshError('UNAUTHENTICATED', `hello names node "${hello.nodeId}" but the call was made as "${open.principal.node}"`);
    }
    // Security: bounded before any work: a hello naming 100,000 sessions must not cost 100,000 store writes.
    if (hello.sessions.length > MAX_SESSIONS_PER_HELLO) {
      throw new MeshError('LIMIT_EXCEEDED', `hello names ${hello.sessions.length} sessions; the limit is ${MAX_SESSIONS_PER_HELLO}`, { limit: MAX_SESSIONS_PER_HELLO });
    }
    for (const s of hello.sessions) validateSessionName(s);
    let credential = '';
    if (open.principal.kind === 'enrol') {
      // Set before the await: a stream that ends while its enrolment is being stored still releases it.
      enrolling = deps.authority.enrol(open.principal);
      credential = await enrolling;
    }
    if (credential) deps.log.info({ node: hello.nodeId, credential: open.principal.credentialId, peer }, 'node enrolled; its own credential was issued');
    const result = await deps.membership.reconcile(hello.nodeId, hello.sessions, granted);
    if (result.removed.length) await deps.onSessionsLeft(hello.nodeId, result.removed);
    if (call.cancelled || call.destroyed) return;
    for (const d of result.denied) if (d.error.code === 'SESSION_NOT_GRANTED') denied.add(d.session);
    link = new NodeLink(hello.nodeId, call, peer);
    deps.registry.add(link);
    open.grantsChanged = () => void applyGrants().catch(fail);
    link.send({
      welcome: {
        sessions: result.sessions,
        hubId: deps.hubId,
        denied: result.denied.map((d) => ({ session: d.session, error: { code: d.error.code, message: d.error.message } })),
        credential,
        // The fetch port speaks the data wire: announced as data_port, so nodes that predate it (reading fetch_port) use the main port.
        dataPort: deps.fetchPort(),
      },
    });
    deps.log.info(
      { node: hello.nodeId, peer, sessions: result.sessions, added: result.added, removed: result.removed, denied: result.denied.map((d) => d.session), version: hello.version },
      'node attached',
    );
    deps.onSessionsReady(link, result.sessions);
  }

  /** The credential's grants changed on an open stream: leave what is withdrawn, join what was asked for and is granted now. */
  async function applyGrants(): Promise<void> {
    const current = link;
    if (!current || current.closed) return;
    const withdrawn = deps.membership.sessionsOf(current.nodeId).filter((s) => !granted(s));
    for (const session of withdrawn) {
      if (!(await deps.membership.leave(session, current.nodeId))) continue;
      denied.add(session);
      const err = notGranted(current.nodeId, session);
      current.send({ left: { session, error: { code: err.code, message: err.message } } });
    }
    if (withdrawn.length) {
      await deps.onSessionsLeft(current.nodeId, withdrawn);
      deps.log.warn({ node: current.nodeId, sessions: withdrawn }, 'grant withdrawn; membership ended');
    }
    for (const session of [...denied].filter(granted)) {
      denied.delete(session);
      if (!(await deps.membership.join(session, current.nodeId).catch(() => false))) continue;
      current.send({ joined: { id: 0, session } });
      deps.onSessionsReady(current, [session]);
    }
  }

  async function onJoin(id: number, session: string): Promise<void> {
    const current = link!;
    try {
      // Security: every join counts against the rate, granted or not, so a flood costs the node, not the hub.
      if (!deps.joinLimiter.take(current.nodeId)) {
        throw new MeshError('LIMIT_EXCEEDED', `node "${current.nodeId}" asked to join too often; the limit is ${JOIN_RATE.perMinute} a minute`, { limit: JOIN_RATE.perMinute });
      }
      validateSessionName(session);
      if (!granted(session)) {
        if (denied.size < MAX_SESSIONS_PER_HELLO) denied.add(session);
        throw notGranted(current.nodeId, session);
      }
      await deps.membership.join(session, current.nodeId);
      current.send({ joined: { id, session } });
      deps.onSessionsReady(current, [session]);
    } catch (err) {
      const mesh = toMeshError(err);
      current.send({ joined: { id, session, error: { code: mesh.code, message: mesh.message } } });
    }
  }

  // Security: manifest frames are taken in one at a time per session and stored; a node sending faster
  // is paused, so what it sends waits in its own socket buffers, not in hub memory.
  let manifestsInFlight = 0;
  function takeIn(work: Promise<void>): void {
    if (++manifestsInFlight >= MAX_MANIFEST_FRAMES_IN_FLIGHT) call.pause();
    void work
      .catch((err) => dropped('manifest', err))
      .finally(() => {
        if (--manifestsInFlight === MAX_MANIFEST_FRAMES_IN_FLIGHT - 1) call.resume();
      });
  }

  /** A frame that breaks the protocol is dropped; the warning about it counts against the node's log budget. */
  function dropped(what: string, err: unknown): void {
    if (link && deps.mayLog(link.nodeId)) deps.log.warn({ node: link.nodeId, err: toMeshError(err).message }, `${what} dropped`);
  }

  call.on('data', (frame: NodeFrame) => {
    if (!link) {
      if (frame.kind !== 'hello') return fail(new MeshError('INVALID_ARGUMENT', 'the first frame must be a hello'));
      onHello(frame.hello).catch(fail);
      return;
    }
    link.lastSeen = Date.now();
    switch (frame.kind) {
      case 'reply':
        link.handleReply(frame.reply);
        break;
      case 'heartbeat':
        break;
      case 'manifest':
        if (!deps.membership.has(frame.manifest.session, link.nodeId)) break;
        try {
          takeIn(deps.onManifest(link, checkManifest(frame.manifest)));
        } catch (err) {
          dropped('manifest', err);
        }
        break;
      case 'manifestDelta':
        if (!deps.membership.has(frame.manifestDelta.session, link.nodeId)) break;
        try {
          takeIn(deps.onManifestDelta(link, checkManifestDelta(frame.manifestDelta)));
        } catch (err) {
          dropped('manifest delta', err);
        }
        break;
      case 'progress':
        try {
          deps.onProgress(link, checkProgress(frame.progress));
        } catch (err) {
          dropped('progress', err);
        }
        break;
      case 'join':
        onJoin(Number(frame.join.id), frame.join.session).catch(fail);
        break;
      case 'enrolled':
        confirming = deps.authority.confirm(open.principal).then(
          (changed) => {
            if (changed) deps.log.info({ node: open.principal.node, credential: open.principal.credentialId }, 'node keeps its credential; enrolment confirmed');
          },
          (err) => dropped('enrolment confirmation', err),
        );
        break;
      case 'hello':
        fail(new MeshError('INVALID_ARGUMENT', 'hello sent twice'));
        break;
    }
  });
  const closed = () => {
    clearTimeout(helloTimer);
    // Security: released only once a confirmation sent before the end is stored, so no shared token slips in between.
    if (enrolling) void Promise.allSettled([enrolling, confirming]).then(() => deps.authority.release(open.principal.node));
    if (link) {
      const wasCurrent = deps.registry.get(link.nodeId) === link;
      deps.registry.remove(link);
      if (wasCurrent) deps.onDetached?.(link.nodeId);
      deps.log.info({ node: link.nodeId, peer }, 'node detached');
    }
  };
  call.on('end', () => {
    closed();
    call.end();
  });
  call.on('cancelled', closed);
  call.on('error', closed);
  call.on('close', closed);
}
