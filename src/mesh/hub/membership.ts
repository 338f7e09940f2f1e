// Which node belongs to which session. Guarded by the store: an edge is in
// memory only after its key is stored, so a join is acknowledged only once it
// survives a hub crash, and a restart rebuilds this index from the store.
import { MeshError } from '../../errors.js';
import { validateSessionName } from '../fs/paths.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { MembershipRecord } from '../store/records.js';

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
    await this.store.putMembership({ session, node, joinedAt: Date.now() });
    this.index(session, node);
    return true;
  }

  /**
   * A node attaches naming some sessions: its memberships are those it names
   * plus those the store already holds for it. Returns the full set.
   */
  async reconcile(node: string, named: readonly string[]): Promise<{ sessions: string[]; added: string[] }> {
    for (const s of named) validateSessionName(s);
    const results = await Promise.all([...new Set(named)].map(async (s) => ((await this.join(s, node)) ? s : undefined)));
    return { sessions: this.sessionsOf(node), added: results.filter((s): s is string => s !== undefined) };
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
