// The hub side of a node's control stream: hello -> reconcile memberships ->
// welcome, then replies, heartbeats, manifests, progress and joins. Every
// frame is validated here, at the protocol edge, before the hub sees it.
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { validateNodeId, validateSessionName } from '../fs/paths.js';
import type { Hello, ManifestReport, NodeFrame, Progress } from '../protocol/frames.js';
import { endCallWithError } from '../protocol/status.js';
import type { Membership } from './membership.js';
import { NodeLink, type ControlCall } from './node-link.js';
import type { Registry } from './registry.js';

/** Narrow view of the hub that the control stream needs. */
export interface AttachDeps {
  hubId: string;
  membership: Membership;
  registry: Registry;
  log: Logger;
  /** Called after welcome, and after a join, so pending work can flow. */
  onSessionsReady(link: NodeLink, sessions: string[]): void;
  onManifest(link: NodeLink, report: ManifestReport): void;
  onProgress(link: NodeLink, progress: Progress): void;
}

const HELLO_TIMEOUT_MS = 10_000;

export function handleAttach(call: ControlCall, deps: AttachDeps): void {
  let link: NodeLink | undefined;
  const peer = call.getPeer();
  const helloTimer = setTimeout(() => fail(new MeshError('INVALID_ARGUMENT', 'no hello within 10 s')), HELLO_TIMEOUT_MS);

  function fail(err: unknown): void {
    clearTimeout(helloTimer);
    const mesh = toMeshError(err);
    deps.log.warn({ peer, node: link?.nodeId, code: mesh.code, err: mesh.message }, 'control stream closed with an error');
    if (link) deps.registry.remove(link);
    endCallWithError(call, mesh);
  }

  async function onHello(hello: Hello): Promise<void> {
    clearTimeout(helloTimer);
    validateNodeId(hello.nodeId);
    // Security: the id in the hello must be the one the call was authenticated for.
    if (call.metadata.get('x-mesh-node')[0] !== hello.nodeId) {
      throw new MeshError('UNAUTHENTICATED', `hello names node "${hello.nodeId}" but the call was made as "${String(call.metadata.get('x-mesh-node')[0] ?? '')}"`);
    }
    for (const s of hello.sessions) validateSessionName(s);
    const { sessions, added } = await deps.membership.reconcile(hello.nodeId, hello.sessions);
    if (call.cancelled || call.destroyed) return;
    link = new NodeLink(hello.nodeId, call, peer);
    deps.registry.add(link);
    link.send({ welcome: { sessions, hubId: deps.hubId } });
    deps.log.info({ node: hello.nodeId, peer, sessions, added, version: hello.version }, 'node attached');
    deps.onSessionsReady(link, sessions);
  }

  async function onJoin(id: number, session: string): Promise<void> {
    const current = link!;
    try {
      await deps.membership.join(session, current.nodeId);
      current.send({ joined: { id, session } });
      deps.onSessionsReady(current, [session]);
    } catch (err) {
      const mesh = toMeshError(err);
      current.send({ joined: { id, session, error: { code: mesh.code, message: mesh.message } } });
    }
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
        if (deps.membership.has(frame.manifest.session, link.nodeId)) deps.onManifest(link, frame.manifest);
        break;
      case 'progress':
        deps.onProgress(link, frame.progress);
        break;
      case 'join':
        onJoin(Number(frame.join.id), frame.join.session).catch(fail);
        break;
      case 'hello':
        fail(new MeshError('INVALID_ARGUMENT', 'hello sent twice'));
        break;
    }
  });
  const closed = () => {
    clearTimeout(helloTimer);
    if (link) {
      deps.registry.remove(link);
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
