// What happens to the mesh while a tool call runs, told to the client that
// made the call: a member of the call's session going offline (its part of a
// write or push waits for it, a read of it fails), and coming back (its
// delivery resumes). Server-wide events (drift) go to every client.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Hub } from '../mesh/hub/hub.js';
import type { NodeLink } from '../mesh/hub/node-link.js';
import { RateLimiter } from '../mesh/hub/rate-limit.js';
import type { ClientLog } from './client-log.js';
import { addToolLayer } from './tool-wrapping.js';

/** Drift notifications per node: a node can report drift as often as it likes; its client log must stay readable. */
const DRIFT_NOTICE_RATE = { burst: 20, perMinute: 30 };

interface NodeWatcher {
  detached(link: NodeLink): void;
  attached(link: NodeLink): void;
}

/**
 * One registry subscription per hub, shared by every running call (one
 * listener per call would trip EventEmitter's leak warning past ten calls).
 */
const watchersByHub = new WeakMap<Hub, Set<NodeWatcher>>();

function watchersOf(hub: Hub): Set<NodeWatcher> {
  let set = watchersByHub.get(hub);
  if (!set) {
    const watchers = new Set<NodeWatcher>();
    hub.registry.on('detached', (link) => watchers.forEach((w) => w.detached(link)));
    hub.registry.on('attached', (link) => watchers.forEach((w) => w.attached(link)));
    watchersByHub.set(hub, (set = watchers));
  }
  return set;
}

/**
 * Watch the members of `session` from now until the returned function is
 * called, and tell the client of the call `requestId` when one goes offline
 * and when it comes back.
 */
export function watchCall(hub: Hub, clientLog: ClientLog, tool: string, session: string | undefined, requestId: RequestId): () => void {
  const concerned = (node: string) => session === undefined || hub.membership.has(session, node);
  const wentOffline = new Set<string>();
  const onDetached = (link: NodeLink) => {
    // A node that re-attached replaces its link; only a node that is really gone counts.
    if (!concerned(link.nodeId) || hub.registry.isOnline(link.nodeId)) return;
    wentOffline.add(link.nodeId);
    clientLog.send('warning', { event: 'node-offline', tool, node: link.nodeId, session, message: `node "${link.nodeId}" went offline during this ${tool} call; what it was to receive waits until it attaches again` }, requestId);
  };
  const onAttached = (link: NodeLink) => {
    if (!wentOffline.delete(link.nodeId)) return;
    clientLog.send('info', { event: 'node-back', tool, node: link.nodeId, session, message: `node "${link.nodeId}" attached again; its delivery resumes from what it had verified` }, requestId);
  };
  const watcher: NodeWatcher = { detached: onDetached, attached: onAttached };
  const watchers = watchersOf(hub);
  watchers.add(watcher);
  return () => void watchers.delete(watcher);
}

/**
 * Make every tool registered on `server` from now on watch its session while
 * it runs (see watchCall). Done here, around the tool callbacks, so the tool
 * files stay a name, schemas and one call into the hub.
 */
export function watchToolCalls(server: McpServer, hub: Hub, clientLog: ClientLog): void {
  addToolLayer(server, (name, config, cb) => ({
    config,
    cb: async (...params: unknown[]) => {
      // The SDK passes (args, extra) to tools with an input schema, (extra) to the others.
      const extra = params[params.length - 1] as { requestId: RequestId };
      const args = params.length > 1 ? (params[0] as { session?: unknown }) : {};
      const stop = watchCall(hub, clientLog, name, typeof args.session === 'string' ? args.session : undefined, extra.requestId);
      try {
        return await cb(...params);
      } finally {
        stop();
      }
    },
  }));
}

/** Tell the client of drift the hub found (and is repairing) on any node; returns the unsubscribe function. */
export function forwardDrift(hub: Hub, clientLog: ClientLog): () => void {
  const budget = new RateLimiter(DRIFT_NOTICE_RATE);
  return hub.drift.onEvent((e) => {
    if (!budget.take(e.node)) return;
    const level = e.action === 'repairing' ? 'notice' : 'warning';
    const what = e.action === 'repairing' ? 'repairing it from the mirror' : e.action === 'deferred' ? 'repair deferred (the node has many queued)' : 'reported only';
    clientLog.send(level, { event: 'drift', node: e.node, session: e.session, path: e.path, kind: e.kind, action: e.action, message: `drift on ${e.node}: ${e.session}/${e.path} ${e.kind}; ${what}` });
  });
}
