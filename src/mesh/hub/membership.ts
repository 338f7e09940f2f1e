// Which node belongs to which session. Guarded by the store: an edge is in
// memory only after its key is stored, so a join is acknowledged only once it
// survives a hub crash, and a restart rebuilds this index from the store.
import { MeshError } from '../../errors.js';
import { validateSessionName } from '../fs/paths.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { MembershipRecord } from '../store/records.js';

/** Sessions one node may be a member of at once. */
export const MAX_SESSIONS_PER_NODE = 256;

export interface Reconciled {
  /** Every session the node is a member of now. */
  sessions: string[];
  added: string[];
  /** Stored memberships removed because the credential no longer grants them. */
  removed: string[];
  denied: Array<{ session: string; error: MeshError }>;
}

export function notGranted(node: string, session: string): MeshError {
  return new MeshError('SESSION_NOT_GRANTED', `node "${node}" is not granted session "${session}"`, { node, session });
}

export class Membership {
  private readonly bySession = new Map<string, Set<string>>();
  private readonly byNode = new Map<string, Set<string>>();
  /** Sessions known without members (created by a write to the mirror). */
  private readonly extraSessions = new Set<string>();

  constructor(private readonly store: MeshStore) {}

  load(records: readonly MembershipRecord[]): void {
    for (const r of records) this.index(r.session, r.node);
  }

  has(session: string, node: string): boolean {
    return this.bySession.get(session)?.has(node) ?? false;
  }

  membersOf(session: string): string[] {
    return [...(this.bySession.get(session) ?? [])].sort();
  }

  sessionsOf(node: string): string[] {
    return [...(this.byNode.get(node) ?? [])].sort();
  }

  sessionExists(session: string): boolean {
    return this.bySession.has(session) || this.extraSessions.has(session);
  }

  /** Throw SESSION_NOT_FOUND unless the session exists. */
  requireSession(session: string): void {
    if (!this.sessionExists(session)) throw new MeshError('SESSION_NOT_FOUND', `no session named "${session}"`, { session });
  }

  /** Note a session that exists on the hub (e.g. its mirror folder) even with no members. */
  noteSession(session: string): void {
    this.extraSessions.add(session);
  }

  sessions(): string[] {
    return [...new Set([...this.bySession.keys(), ...this.extraSessions])].sort();
  }

  nodes(): string[] {
    return [...this.byNode.keys()].sort();
  }

  /** Store the edge, then index it. Resolves true when the edge is new. */
  async join(session: string, node: string): Promise<boolean> {
    validateSessionName(session);
    if (this.has(session, node)) return false;
    const held = this.sessionsOf(node).length;
    if (held >= MAX_SESSIONS_PER_NODE) {
      throw new MeshError('LIMIT_EXCEEDED', `node "${node}" is a member of ${held} sessions already; the limit is ${MAX_SESSIONS_PER_NODE}`, { limit: MAX_SESSIONS_PER_NODE });
    }
    await this.store.putMembership({ session, node, joinedAt: Date.now() });
    this.index(session, node);
    return true;
  }

  /** Remove the edge from the store, then from memory. Resolves true when there was one. */
  async leave(session: string, node: string): Promise<boolean> {
    if (!this.has(session, node)) return false;
    await this.store.deleteMembership(session, node);
    this.bySession.get(session)?.delete(node);
    if (this.bySession.get(session)?.size === 0) {
      this.bySession.delete(session);
      this.extraSessions.add(session); // the session (its mirror) outlives its last member
    }
    this.byNode.get(node)?.delete(session);
    if (this.byNode.get(node)?.size === 0) this.byNode.delete(node);
    return true;
  }

  /**
   * A node attaches naming some sessions: its memberships become those it
   * names plus those the store holds for it, each only if `granted` says
   * so. Stored memberships no longer granted are removed; named sessions
   * not granted (or over the per-node limit) are denied, the rest joined.
   */
  async reconcile(node: string, named: readonly string[], granted: (session: string) => boolean): Promise<Reconciled> {
    for (const s of named) validateSessionName(s);
    const removed: string[] = [];
    for (const s of this.sessionsOf(node)) if (!granted(s) && (await this.leave(s, node))) removed.push(s);
    const added: string[] = [];
    const denied: Reconciled['denied'] = [];
    for (const s of [...new Set(named)].sort()) {
      if (!granted(s)) {
        denied.push({ session: s, error: notGranted(node, s) });
        continue;
      }
      try {
        if (await this.join(s, node)) added.push(s);
      } catch (err) {
        if (!(err instanceof MeshError) || err.code !== 'LIMIT_EXCEEDED') throw err;
        denied.push({ session: s, error: err });
      }
    }
    return { sessions: this.sessionsOf(node), added, removed, denied };
  }

  private index(session: string, node: string): void {
    let nodes = this.bySession.get(session);
    if (!nodes) this.bySession.set(session, (nodes = new Set()));
    nodes.add(node);
    let sessions = this.byNode.get(node);
    if (!sessions) this.byNode.set(node, (sessions = new Set()));
    sessions.add(session);
  }
}
