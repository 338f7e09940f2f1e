// Skills on the hub: promotion of a session's skill into the global library
// (under a lock, atomically, leaving a link behind), its record in the store,
// and its delivery to every node: attached nodes at once, the others when
// they come back (pending skill deliveries live in the store).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { normalizeSessionPath } from '../fs/paths.js';
import {
  listSkills,
  promoteSkill,
  currentPath,
  readSkillFiles,
  readSkillMeta,
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

  constructor(private readonly deps: SkillsDeps) {}

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

  async promote(session: string, skillPath: string, options: { replace?: boolean } = {}): Promise<PromoteOutcome> {
    this.deps.membership.requireSession(session);
    const rel = normalizeSessionPath(skillPath.includes('/') ? skillPath : `skills/${skillPath}`);
    const result = await promoteSkill({
      sessionRoot: this.deps.mirrorRoot(session),
      sessionName: session,
      skillPath: rel,
      libraryRoot: this.deps.libraryRoot,
      replace: options.replace,
      stepHook: this.deps.stepHook,
    });
    const previous = this.records.get(result.name);
    const links = [...(previous?.links ?? []).filter((l) => !(l.session === session && l.path === rel)), { session, path: rel }];
    const unchangedEverywhere = result.status === 'unchanged' && previous?.sha256 === result.sha256 && previous.links.length === links.length;
    const record: SkillRecord = { name: result.name, version: result.version, sha256: result.sha256, fromSession: previous?.fromSession ?? session, links, promotedAt: Date.now() };
    if (unchangedEverywhere) return { ...result, session, deliveringTo: [] };
    await this.deps.store.putSkill(record);
    this.records.set(record.name, record);
    // Every node gets the library copy; pending first (in the store), then sent.
    const nodes = this.deps.membership.nodes();
    await Promise.all(nodes.map((node) => this.deps.store.putSkillDelivery({ name: record.name, version: record.version, node })));
    for (const node of nodes) this.markPending(node, record.name);
    for (const node of nodes) this.nodeReady(node);
    this.deps.log.info({ skill: record.name, version: record.version, status: result.status, session }, 'skill promoted');
    return { ...result, session, deliveringTo: nodes };
  }

  list(): Promise<SkillSummary[]> {
    return listSkills(this.deps.libraryRoot);
  }

  async read(name: string): Promise<SkillFile[]> {
    return (await this.current(name)).files;
  }

  /** The current library version of one skill: its record and files (SKILL_NOT_FOUND if none). */
  private async current(name: string): Promise<{ meta: SkillMeta; files: SkillFile[] }> {
    const meta = await readSkillMeta(this.deps.libraryRoot, name);
    return { meta, files: await readSkillFiles(currentPath(this.deps.libraryRoot, name)) };
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
      await link.request(
        'installSkill',
        { name, version: summary.version, sha256: summary.sha256, files, links: record.links.filter((l) => memberOf.has(l.session)) },
        { timeoutMs: 60_000 },
      );
      await this.deps.store.deleteSkillDelivery(name, node);
      this.pending.get(node)?.delete(name);
      this.deps.log.info({ node, skill: name, version: summary.version }, 'skill delivered');
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
