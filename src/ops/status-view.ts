// The mesh as the status page and `mesh-assistant status` show it: nodes
// with their sessions, sessions with their members, transfers with their
// progress, recent drift. A pure function of the hub's status report.
import type { FetchPort } from '../mesh/hub/fetch-paths.js';
import type { StatusReport } from '../mesh/hub/hub.js';

export interface StatusView {
  hubId: string;
  grpc: string;
  store: string;
  /** When the view was made, ms since the epoch. */
  at: number;
  /** `fetchVia`: the port the node's latest file data came over since the hub started (none yet: absent). */
  nodes: Array<{ node: string; online: boolean; sessions: string[]; fetchVia?: FetchPort }>;
  sessions: Array<{ name: string; members: number; online: number }>;
  transfers: Array<{
    transferId: string;
    kind: string;
    session: string;
    path: string;
    size: number;
    /** Bytes verified on nodes, summed over targets (a done target counts its whole size). */
    done: number;
    /** size x targets. */
    total: number;
    nodes: Array<{ node: string; state: string; bytes: number }>;
  }>;
  drift: Array<{ at: number; node: string; session: string; path: string; kind: string; action: string }>;
}

/** Most recent drift events shown. */
export const VIEW_DRIFT_EVENTS = 20;

export function statusView(s: Pick<StatusReport, 'hubId' | 'grpc' | 'store' | 'sessions' | 'online' | 'transfers' | 'drift' | 'fetchVia'>, at = Date.now()): StatusView {
  const nodes = new Map<string, StatusView['nodes'][number]>();
  const online = new Set(s.online);
  for (const id of s.online) nodes.set(id, { node: id, online: true, sessions: [] });
  for (const session of s.sessions) {
    for (const m of session.members) {
      const entry = nodes.get(m.node) ?? { node: m.node, online: online.has(m.node), sessions: [] };
      entry.sessions.push(session.name);
      nodes.set(m.node, entry);
    }
  }
  return {
    hubId: s.hubId,
    grpc: s.grpc,
    store: s.store,
    at,
    // Own keys only: a node may be called "constructor".
    nodes: [...nodes.values()].sort((a, b) => a.node.localeCompare(b.node)).map((n) => (Object.hasOwn(s.fetchVia, n.node) ? { ...n, fetchVia: s.fetchVia[n.node] } : n)),
    sessions: s.sessions.map((x) => ({ name: x.name, members: x.members.length, online: x.members.filter((m) => online.has(m.node)).length })),
    transfers: s.transfers.map((t) => ({
      transferId: t.transferId,
      kind: t.kind,
      session: t.session,
      path: t.path,
      size: t.size,
      done: t.nodes.reduce((sum, n) => sum + (n.state === 'done' ? t.size : Math.min(n.bytes, t.size)), 0),
      total: t.size * t.nodes.length,
      nodes: t.nodes.map((n) => ({ node: n.node, state: n.state, bytes: n.state === 'done' ? t.size : n.bytes })),
    })),
    drift: s.drift.slice(-VIEW_DRIFT_EVENTS).map((d) => ({ at: d.at, node: d.node, session: d.session, path: d.path, kind: d.kind, action: d.action })),
  };
}
