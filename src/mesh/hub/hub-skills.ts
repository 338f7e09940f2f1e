// Skills on the hub: promotion of a session's skill into the global library
// (under a lock, atomically, leaving a link behind), its record in the store,
// and its delivery to every node: attached nodes at once, the others when
// they come back (pending skill deliveries live in the store). Mirror writes
// pass through the promotion gate here (see path-gate.ts).
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { isInside, normalizeSessionPath } from '../fs/paths.js';
import { walkSkillTree } from '../skills/skill-files.js';
import {
  currentPath,
  DEFAULT_SKILL_LIMITS,
  listSkills,
  promoteSkill,
  readVerifiedCopy,
  recoverPromotions,
  type PromoteResult,
  type PromoteStep,
  type SkillFile,
  type SkillMeta,
  type SkillSummary,
} from '../skills/index.js';
import type { MeshStore, StoreSnapshot } from '../store/mesh-store.js';
import type { SkillRecord } from '../store/records.js';
import type { Membership } from './membership.js';
import { PathGate } from './path-gate.js';
import type { Registry } from './registry.js';

export interface SkillsDeps {
  store: MeshStore;
  membership: Membership;
  registry: Registry;
  log: Logger;
  libraryRoot: string;
  /** Folder holding every session's mirror. */
  sessionsRoot: string;
  mirrorRoot(session: string): string;
  /** Test hook: awaited at each promotion step (crash tests pause here). */
  stepHook?: (step: PromoteStep) => Promise<void>;
  /** How long a promotion waits for writes in progress under its folder, ms; default 60,000. */
  gateWaitMs?: number;
}

export interface PromoteOutcome extends PromoteResult {
  session: string;
  /** Nodes the skill is on its way to (delivered now, or when they attach). */
  deliveringTo: string[];
}

export class HubSkills {
  private readonly records = new Map<string, SkillRecord>();
  /** Pending deliveries: node -> skill names. Mirrors the store's skilldelivery keys. */
  private readonly pending = new Map<string, Set<string>>();
  private readonly delivering = new Set<string>();
  /** Mirror writes against promotions of the folders they write into. */
  private readonly gate = new PathGate();
  /** Called after the library changed (a promotion or replacement), e.g. to tell MCP clients. */
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly deps: SkillsDeps) {}

  /**
   * Run a mirror write (`write`, `push`) of `rel` in `session` through the
   * promotion gate: refused with SKILL_BUSY while a promotion holds a folder
   * above it. A write refused because the folder already is a promoted
   * skill (a link into the library) says so.
   */
  async guardWrite<T>(session: string, rel: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.gate.write(session, rel, fn);
    } catch (err) {
      if (!(err instanceof MeshError) || err.code !== 'PATH_OUTSIDE_SESSION' || err.details.rule !== 'link') throw err;
      const skill = await this.promotedFolderAbove(session, rel).catch(() => undefined);
      if (skill === undefined) throw err;
      throw new MeshError(
        'PATH_OUTSIDE_SESSION',
        `"${rel}" is inside "${skill}", a promoted skill: a link to the skills library, which writes never reach; write into the session under another name, or promote a new version`,
        { rule: 'link', skill },
      );
    }
  }

  /** The folder at or above `rel` in the mirror that is a link into the library, if any. */
  private async promotedFolderAbove(session: string, rel: string): Promise<string | undefined> {
    const root = this.deps.mirrorRoot(session);
    const library = await realpath(this.deps.libraryRoot);
    const segments = rel.split('/');
    // Bounded by the path's segments; stops at the first one missing or not a folder.
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      const info = await lstat(path.join(root, prefix)).catch(() => undefined);
      if (info?.isSymbolicLink()) {
        const real = await realpath(path.join(root, prefix)).catch(() => undefined);
        return real !== undefined && isInside(library, real) ? prefix : undefined;
      }
      if (!info?.isDirectory()) return undefined;
    }
    return undefined;
  }

  /** After a restart: finish or roll back interrupted promotions, reload records and pending deliveries. */
  async restore(snapshot: StoreSnapshot): Promise<void> {
    const sessions = await readdir(this.deps.sessionsRoot).catch(() => [] as string[]);
    const report = await recoverPromotions(this.deps.libraryRoot, sessions.map((s) => path.join(this.deps.sessionsRoot, s)));
    if (report.removedTemp.length || report.removedIncomplete.length || report.restored.length || report.sites.length) {
      this.deps.log.warn({ recovery: report }, 'recovered interrupted skill promotions');
    }
    for (const r of snapshot.skills) this.records.set(r.name, r);
    for (const d of snapshot.skillDeliveries) this.markPending(d.node, d.name);
  }

  /**
   * Promote the skill folder `skillPath` of `session`. The folder is held
   * through the gate from before validation until the link is in place, so
   * every write acknowledged before is in the promoted version and none
   * lands in between. `stepHook` (tests) overrides the deps' hook.
   */
  async promote(
    session: string,
    skillPath: string,
    options: { replace?: boolean; stepHook?: (step: PromoteStep) => Promise<void> } = {},
  ): Promise<PromoteOutcome> {
    this.deps.membership.requireSession(session);
    const rel = normalizeSessionPath(skillPath.includes('/') ? skillPath : `skills/${skillPath}`);
    const promote = () =>
      promoteSkill({
        sessionRoot: this.deps.mirrorRoot(session),
        sessionName: session,
        skillPath: rel,
        libraryRoot: this.deps.libraryRoot,
        replace: options.replace,
        stepHook: options.stepHook ?? this.deps.stepHook,
      });
    const result = await this.gate.exclusive(session, rel, promote, { waitMs: this.deps.gateWaitMs });
    for (const kept of result.kept) {
      this.deps.log.warn({ session, skill: result.name, kept }, `kept mirror files that differ from the promoted skill: ${kept.path}`);
    }
    const previous = this.records.get(result.name);
    const links = [...(previous?.links ?? []).filter((l) => !(l.session === session && l.path === rel)), { session, path: rel }];
    const unchangedEverywhere = result.status === 'unchanged' && previous?.sha256 === result.sha256 && previous.links.length === links.length;
    const record: SkillRecord = { name: result.name, version: result.version, sha256: result.sha256, fromSession: previous?.fromSession ?? session, links, promotedAt: Date.now() };
    if (unchangedEverywhere) return { ...result, session, deliveringTo: [] };
    await this.deps.store.putSkill(record);
    this.records.set(record.name, record);
    if (result.status !== 'unchanged') for (const listener of this.changeListeners) listener();
    // Every node gets the library copy; pending first (in the store), then sent.
    // Security: a skill goes only to members of the sessions it is linked in, never to a node that is not
    // granted any of them (the files came from a session it cannot see).
    const nodes = [...new Set(record.links.flatMap((l) => this.deps.membership.membersOf(l.session)))].sort();
    await Promise.all(nodes.map((node) => this.deps.store.putSkillDelivery({ name: record.name, version: record.version, node })));
    for (const node of nodes) this.markPending(node, record.name);
    for (const node of nodes) this.nodeReady(node);
    this.deps.log.info({ skill: record.name, version: record.version, status: result.status, session }, 'skill promoted');
    return { ...result, session, deliveringTo: nodes };
  }

  list(): Promise<SkillSummary[]> {
    return listSkills(this.deps.libraryRoot);
  }

  /** Subscribe to library changes (promotion, replacement); returns the unsubscribe function. */
  onLibraryChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => void this.changeListeners.delete(listener);
  }

  /** Paths and sizes of the files of one skill's current copy, bounded by the skill limits. */
  async listFiles(name: string): Promise<Array<{ path: string; size: number }>> {
    const files = await walkSkillTree(currentPath(this.deps.libraryRoot, name), { limits: DEFAULT_SKILL_LIMITS });
    return files.map((f) => ({ path: f.path, size: f.size }));
  }

  async read(name: string): Promise<SkillFile[]> {
    return (await this.current(name)).files;
  }

  /** The current library version of one skill: its record and files (SKILL_NOT_FOUND if none; CHECKSUM_MISMATCH if they disagree). */
  private current(name: string): Promise<{ meta: SkillMeta; files: SkillFile[] }> {
    return readVerifiedCopy(this.deps.libraryRoot, name);
  }

  /** A node attached: send it the skills it is missing. */
  nodeReady(node: string): void {
    for (const name of this.pending.get(node) ?? []) void this.deliver(node, name);
  }

  private async deliver(node: string, name: string): Promise<void> {
    const key = `${node}\0${name}`;
    const link = this.deps.registry.get(node);
    const record = this.records.get(name);
    if (!link || !record || this.delivering.has(key)) return;
    this.delivering.add(key);
    try {
      const { meta: summary, files } = await this.current(name);
      const memberOf = new Set(this.deps.membership.sessionsOf(node));
      const links = record.links.filter((l) => memberOf.has(l.session));
      // Checked again when sending: a node that left every linked session since the promotion gets nothing.
      if (links.length > 0) await link.request('installSkill', { name, version: summary.version, sha256: summary.sha256, files, links }, { timeoutMs: 60_000 });
      await this.deps.store.deleteSkillDelivery(name, node);
      this.pending.get(node)?.delete(name);
      if (links.length > 0) this.deps.log.info({ node, skill: name, version: summary.version }, 'skill delivered');
      else this.deps.log.info({ node, skill: name }, 'skill not delivered: the node left every session it is linked in');
    } catch (err) {
      this.deps.log.warn({ node, skill: name, err: toMeshError(err).message }, 'skill delivery failed; retried when the node attaches again');
    } finally {
      this.delivering.delete(key);
    }
  }

  private markPending(node: string, name: string): void {
    let names = this.pending.get(node);
    if (!names) this.pending.set(node, (names = new Set()));
    names.add(name);
  }
}
