// What a node does for each hub request. Every request names a session; the
// node answers only for sessions whose copy it keeps (isolation), and every
// path goes through the same rules as on the hub.
import { MeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { findEntries } from '../fs/find-ops.js';
import { grepFiles } from '../fs/grep-ops.js';
import { listDir, readRange } from '../fs/read-ops.js';
import { moveInside, removeInside } from '../fs/remove-move.js';
import type { NodeFrameOut, Reply, Request } from '../protocol/frames.js';
import { installSkill } from '../skills/skill-install.js';
import { cachedReadScope } from '../skills/skill-read-scope.js';
import { Deliverer, type FetchChunks } from './deliverer.js';
import { sweepStaleParts } from './part-sweep.js';
import type { NodeWorkspace } from './workspace.js';

/** Transfer ids a sweep request may name: far more than a node has pending at once. */
const MAX_KEEP_IDS = 100_000;

type ReplyBody = Omit<Reply, 'id'>;

export class RequestHandlers {
  private readonly deliverer: Deliverer;
  /** Links into this node's skills library (promoted skills) are followed on reads, nothing else outside. */
  private readonly readScope: ReturnType<typeof cachedReadScope>;

  constructor(
    private readonly workspace: NodeWorkspace,
    fetch: FetchChunks,
    private readonly log: Logger,
    send: (frame: NodeFrameOut) => void,
    /** Records a landed delivery in the node's index; awaited before the reply (see manifest-reporter.ts). */
    private readonly onDelivered: (session: string, rel: string, size: number, sha256: string) => Promise<void> = async () => {},
  ) {
    this.deliverer = new Deliverer(workspace, fetch, log, send);
    this.readScope = cachedReadScope(workspace.skillsRoot());
  }

  async handle(request: Request): Promise<ReplyBody> {
    switch (request.op) {
      case 'list': {
        const { entries } = await listDir(this.workspace.sessionRoot(request.list!.session), request.list!.path || '.', await this.readScope());
        return { list: { entries } };
      }
      case 'read': {
        const r = request.read!;
        return { read: await readRange(this.workspace.sessionRoot(r.session), r.path, Number(r.offset), Number(r.length), await this.readScope()) };
      }
      case 'deliver': {
        const d = request.deliver!;
        const reply = await this.deliverer.deliver(d);
        await this.onDelivered(d.session, d.path, Number(reply.size), reply.sha256).catch((err) =>
          this.log.warn({ session: d.session, path: d.path, err: (err as Error).message }, 'delivery not recorded in the index; the next scan records it'),
        );
        return { deliver: reply };
      }
      case 'cancel':
        await this.deliverer.cancel(request.cancel!);
        return { ok: {} };
      case 'sweepParts': {
        // Security: bounded like every list from the hub; ids only ever compared, never used as paths.
        const keep = new Set(request.sweepParts!.keep.slice(0, MAX_KEEP_IDS));
        const removed = await sweepStaleParts(this.workspace.sessionsRoot(), (id) => keep.has(id) || this.deliverer.isRunning(id));
        if (removed.length > 0) this.log.info({ removed: removed.length }, 'removed part files of transfers the hub no longer has');
        return { ok: {} };
      }
      case 'installSkill': {
        const r = request.installSkill!;
        const result = await installSkill({
          libraryRoot: this.workspace.skillsRoot(),
          name: r.name,
          version: r.version,
          sha256: r.sha256,
          files: r.files.map((f) => ({ path: f.path, data: f.data, mode: f.mode })),
          links: r.links.map((l) => ({ sessionRoot: this.workspace.sessionRoot(l.session), path: l.path })),
        });
        for (const l of r.links) this.workspace.noteChanged(l.session);
        this.log.info({ skill: r.name, version: r.version }, 'skill installed');
        // The reply type carries no data; the log is where an operator finds
        // session files the skill's link replaced but that were kept.
        for (const kept of result.kept) {
          this.log.warn(
            { skill: r.name, version: r.version, library: this.workspace.skillsRoot(), kept: kept.path, from: kept.from, changed: kept.changed, added: kept.added },
            `kept session files that differ from skill "${r.name}": ${kept.path}`,
          );
        }
        return { ok: {} };
      }
      // File tools: each acts through checked handles below the session copy (fs/remove-move.ts, fs/search-walk.ts).
      case 'remove': {
        const r = request.remove!;
        await removeInside(this.workspace.sessionRoot(r.session), r.path, r.recursive); // already gone: done (a queued rm may run twice)
        this.workspace.noteChanged(r.session);
        return { ok: {} };
      }
      case 'move': {
        const r = request.move!;
        await moveInside(this.workspace.sessionRoot(r.session), r.from, r.to, { overwrite: r.overwrite, replay: true });
        this.workspace.noteChanged(r.session);
        return { ok: {} };
      }
      case 'find': {
        const r = request.find!;
        return { find: await findEntries(this.workspace.sessionRoot(r.session), r.path || '.', { pattern: r.pattern, limit: r.limit, maxDepth: r.maxDepth }) };
      }
      case 'grep': {
        const r = request.grep!;
        const options = { pattern: r.pattern, glob: r.glob, regex: r.regex, ignoreCase: r.ignoreCase, maxResults: r.maxResults, deadlineMs: r.deadlineMs };
        return { grep: await grepFiles(this.workspace.sessionRoot(r.session), r.path || '.', options) };
      }
      default:
        throw new MeshError('INVALID_ARGUMENT', `unknown request ${String(request.op)}`);
    }
  }

  abortAll(): void {
    this.deliverer.abortAll();
  }
}
