// `ls` and `cat` for the hub core: the mirror by default, one named member,
// or every member at once ("*"), where each node's failure is reported
// beside the others' answers instead of failing the whole call.
import { MeshError, toMeshError } from '../../errors.js';
import { listDir, readRange } from '../fs/read-ops.js';
import { normalizeSessionPath } from '../fs/paths.js';
import { RootHandles } from '../fs/root-handles.js';
import type { Entry } from '../protocol/frames.js';
import { cachedReadScope } from '../skills/skill-read-scope.js';
import type { Membership } from './membership.js';
import type { Registry } from './registry.js';

export const MIRROR = 'hub';
/** How long `ls`/`cat` wait for a node, ms. */
const NODE_READ_TIMEOUT_MS = 15_000;

export type Answer<T> = { node: string; ok: true; value: T } | { node: string; ok: false; error: { code: string; message: string } };

export interface Listing {
  entries: Entry[];
  truncated: boolean;
}

export interface ReadResult {
  data: Buffer;
  /** Total size of the file in bytes. */
  size: number;
  offset: number;
}

export interface FilesDeps {
  membership: Membership;
  registry: Registry;
  mirrorRoot(session: string): string;
  /** The skills library: links from a session into a promoted skill there are followed on reads. */
  libraryRoot: string;
}

export class HubFiles {
  private readonly readScope: ReturnType<typeof cachedReadScope>;
  /** Session roots of the mirror kept open between reads. */
  private readonly roots = new RootHandles();

  constructor(private readonly deps: FilesDeps) {
    this.readScope = cachedReadScope(deps.libraryRoot);
  }

  async ls(session: string, rel: string, node?: string): Promise<Array<Answer<Listing>>> {
    const p = normalizeSessionPath(rel);
    const fromMirror = async () => listDir(this.deps.mirrorRoot(session), p, await this.readScope(), this.roots);
    return this.ask(session, node, fromMirror, async (id) => {
      const reply = await this.link(id).request('list', { session, path: p }, { timeoutMs: NODE_READ_TIMEOUT_MS });
      return { entries: reply.entries.map((e) => ({ ...e, size: Number(e.size), mtimeMs: Number(e.mtimeMs) })), truncated: false };
    });
  }

  async cat(session: string, rel: string, options: { node?: string; offset?: number; length?: number }): Promise<Array<Answer<ReadResult>>> {
    const p = normalizeSessionPath(rel);
    const offset = options.offset ?? 0;
    const length = options.length ?? 0;
    const fromMirror = async () => readRange(this.deps.mirrorRoot(session), p, offset, length || undefined, await this.readScope(), this.roots);
    return this.ask(session, options.node, fromMirror, async (id) => {
      const reply = await this.link(id).request('read', { session, path: p, offset, length }, { timeoutMs: NODE_READ_TIMEOUT_MS });
      return { data: reply.data, size: Number(reply.size), offset: Number(reply.offset) };
    });
  }

  /** Close the kept session roots (hub stop). */
  close(): void {
    this.roots.close();
  }

  /** Check that a session exists and `node` (when named) may be asked about it. */
  checkTarget(session: string, node?: string): void {
    this.deps.membership.requireSession(session);
    if (node === undefined || node === MIRROR || node === '*') return;
    if (!this.deps.membership.nodes().includes(node)) throw new MeshError('NODE_NOT_FOUND', `no node named "${node}"`, { node });
    if (!this.deps.membership.has(session, node)) {
      throw new MeshError('NOT_A_MEMBER', `node "${node}" is not a member of session "${session}"`, { node, session });
    }
    if (!this.deps.registry.isOnline(node)) throw new MeshError('NODE_OFFLINE', `node "${node}" is not attached`, { node });
  }

  /** Ask the mirror, one member, or every member ("*": each node's failure beside the others' answers). */
  async ask<T>(session: string, node: string | undefined, fromMirror: () => Promise<T>, fromNode: (id: string) => Promise<T>): Promise<Array<Answer<T>>> {
    this.checkTarget(session, node);
    if (node === undefined || node === MIRROR) return [{ node: MIRROR, ok: true, value: await fromMirror() }];
    if (node !== '*') return [{ node, ok: true, value: await fromNode(node) }];
    const members = this.deps.membership.membersOf(session);
    return Promise.all(
      members.map(async (id): Promise<Answer<T>> => {
        try {
          return { node: id, ok: true, value: await fromNode(id) };
        } catch (err) {
          const e = toMeshError(err);
          return { node: id, ok: false, error: { code: e.code, message: e.message } };
        }
      }),
    );
  }

  private link(node: string) {
    const link = this.deps.registry.get(node);
    if (!link) throw new MeshError('NODE_OFFLINE', `node "${node}" is not attached`, { node });
    return link;
  }
}
