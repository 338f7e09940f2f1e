// Takes in what nodes report about their session copies, in sequence: the
// pages of a full report, then deltas, each accepted only when it continues
// the sequence the hub holds (`base_seq` = the stored `seq`, same epoch).
// Accepted reports are stored (manifest-store.ts), acknowledged, and then
// checked for drift. One report at a time per node and session; a node that
// sends faster than that is paused by the attach handler, so nothing queues
// in hub memory.
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ManifestAck, ManifestDelta, ManifestReport } from '../protocol/frames.js';
import { FullReportWriter, type ManifestHead, type ManifestStore, type StoredEntry } from '../store/manifest-store.js';
import type { DriftMonitor } from './drift.js';
import { monotonicMs } from '../monotonic.js';

export interface ManifestIntakeDeps {
  store: ManifestStore;
  drift: DriftMonitor;
  log: Logger;
  /** Send a frame to an attached node (dropped when it is gone). */
  ack(node: string, ack: ManifestAck): void;
  mayLog(node: string): boolean;
}

/** A full report being received. */
interface Incoming {
  epoch: string;
  seq: number;
  nextPage: number;
  writer: FullReportWriter;
}

interface CopyState {
  head?: ManifestHead;
  incoming?: Incoming;
  /** Refused for this attachment (a limit): later reports are ignored until the next sync. */
  refused?: boolean;
  /** The report being handled: one at a time per node and session. */
  busy: Promise<void>;
  queued: number;
}

function toStored(e: { path: string; size: number; mtimeMs: number; sha256: string }): StoredEntry {
  return { path: e.path, size: Number(e.size), mtimeMs: Number(e.mtimeMs), sha256: e.sha256 };
}

export class ManifestIntake {
  /** "node\0session" -> state, for attached nodes only (dropped by `forget`). */
  private readonly copies = new Map<string, CopyState>();

  /** When this hub began taking manifests: a stored manifest is at least as old as its removals and moves since. */
  private readonly startedAt = monotonicMs();

  constructor(private readonly deps: ManifestIntakeDeps) {}

  private state(node: string, session: string): CopyState {
    const key = `${node}\0${session}`;
    let s = this.copies.get(key);
    if (!s) this.copies.set(key, (s = { busy: Promise.resolve(), queued: 0 }));
    return s;
  }

  /** Reports waiting per node and session; the attach handler pauses the stream past a few. */
  queued(node: string, session: string): number {
    return this.copies.get(`${node}\0${session}`)?.queued ?? 0;
  }

  /** Run `fn` after the reports before it; resolves when it has run. */
  private enqueue(node: string, session: string, fn: (s: CopyState) => Promise<void>): Promise<void> {
    const s = this.state(node, session);
    s.queued++;
    s.busy = s.busy
      .then(() => fn(s))
      .catch((err) => this.refuse(node, session, s, err))
      .finally(() => s.queued--);
    return s.busy;
  }

  /** A node (re)attached or joined: tell it what the hub holds, so it sends only what changed since. */
  sync(node: string, session: string): Promise<void> {
    return this.enqueue(node, session, async (s) => {
      s.refused = false;
      await this.dropIncoming(s);
      s.head = await this.deps.store.head(session, node);
      this.deps.ack(node, s.head ? { session, epoch: s.head.epoch, seq: s.head.seq, full: false } : { session, epoch: '', seq: 0, full: true });
      // What the hub last knew of this copy, against the mirror now: a delivery that failed
      // (a node's disk refused it) is repaired at the next attach, as a full report would.
      // The node's own changes since come as a delta, queued behind this check.
      if (s.head) {
        const at = { ...this.deps.drift.receivedAt(node, session), opsSince: this.startedAt };
        await this.deps.drift.checkStored(node, session, this.deps.store.entries(session, node, s.head), at);
      }
    });
  }

  /** A page of a full report (or a whole manifest in one frame, from a node without sequences). */
  onReport(node: string, report: ManifestReport): Promise<void> {
    const session = report.session;
    const epoch = report.epoch;
    if (!epoch) return this.deps.drift.onManifest(node, report);
    return this.enqueue(node, session, async (s) => {
      if (s.refused) return;
      const page = Number(report.page);
      const seq = Number(report.seq);
      if (page === 0) {
        await this.dropIncoming(s);
        if (s.head && s.head.epoch === report.epoch && seq < s.head.seq) {
          throw new MeshError('INVALID_ARGUMENT', `full report of session "${session}" goes back to sequence ${seq} from ${s.head.seq}`);
        }
        s.incoming = { epoch, seq, nextPage: 0, writer: this.deps.store.beginFull(session, node, epoch, seq, s.head) };
      }
      const incoming = s.incoming;
      if (!incoming || incoming.epoch !== report.epoch || incoming.seq !== seq || incoming.nextPage !== page) {
        throw new MeshError('INVALID_ARGUMENT', `page ${page} of a full report of session "${session}" does not follow the pages before it`);
      }
      incoming.nextPage++;
      await incoming.writer.add(report.entries.map(toStored));
      if (!report.last) return;
      const at = this.deps.drift.receivedAt(node, session);
      s.head = await incoming.writer.finish();
      s.incoming = undefined;
      this.deps.log.info({ node, session, files: s.head.count, seq: s.head.seq, pages: page + 1 }, 'manifest stored');
      this.deps.ack(node, { session, epoch: s.head.epoch, seq: s.head.seq, full: false });
      const head = s.head;
      await this.deps.drift.checkStored(node, session, this.deps.store.entries(session, node, head), at);
    });
  }

  /** Changes since the sequence the hub holds; anything else asks the node for a full report. */
  onDelta(node: string, delta: ManifestDelta): Promise<void> {
    const session = delta.session;
    return this.enqueue(node, session, async (s) => {
      if (s.refused) return;
      const base = Number(delta.baseSeq);
      const seq = Number(delta.seq);
      // Security: sequences only go forward; a delta that does not start where the hub is cannot be applied.
      if (seq <= base) throw new MeshError('INVALID_ARGUMENT', `delta of session "${session}" goes from sequence ${base} back to ${seq}`);
      if (s.incoming || !s.head || s.head.epoch !== delta.epoch || s.head.seq !== base) {
        if (this.deps.mayLog(node)) this.deps.log.warn({ node, session, held: s.head?.seq, base, epoch: delta.epoch }, 'manifest delta does not follow the stored sequence; asking for a full report');
        await this.dropIncoming(s);
        this.deps.ack(node, { session, epoch: '', seq: 0, full: true });
        return;
      }
      const at = this.deps.drift.receivedAt(node, session);
      const changed = delta.changed.map(toStored);
      s.head = await this.deps.store.applyDelta(session, node, s.head, seq, changed, delta.removed);
      this.deps.log.debug(
        { node, session, baseSeq: base, seq, changed: changed.slice(0, 50).map((e) => e.path), removed: delta.removed.slice(0, 50), files: s.head.count },
        'manifest delta stored',
      );
      this.deps.ack(node, { session, epoch: s.head.epoch, seq: s.head.seq, full: false });
      await this.deps.drift.checkDelta(node, session, changed, delta.removed, at);
    });
  }

  /** What the hub holds for each attached node's copies (from memory; the store has the rest). */
  summary(): Array<{ node: string; session: string; epoch: string; seq: number; files: number; bytes: number }> {
    const out = [];
    for (const [key, s] of this.copies) {
      if (!s.head) continue;
      const [node, session] = key.split('\0');
      out.push({ node, session, epoch: s.head.epoch, seq: s.head.seq, files: s.head.count, bytes: s.head.bytes });
    }
    return out.sort((a, b) => (a.node === b.node ? (a.session < b.session ? -1 : 1) : a.node < b.node ? -1 : 1));
  }

  /** The node detached: nothing of it stays in memory (its manifest stays in the store). */
  detach(node: string, sessions: readonly string[]): void {
    for (const session of sessions) {
      const key = `${node}\0${session}`;
      const s = this.copies.get(key);
      if (!s) continue;
      void this.enqueue(node, session, (st) => this.dropIncoming(st)).finally(() => {
        if (this.copies.get(key) === s && s.queued === 0) this.copies.delete(key);
      });
    }
  }

  /** The membership ended: its manifest goes too. */
  async forget(node: string, session: string): Promise<void> {
    this.detach(node, [session]);
    await this.deps.store.remove(session, node).catch(() => {});
  }

  private async dropIncoming(s: CopyState): Promise<void> {
    const incoming = s.incoming;
    s.incoming = undefined;
    await incoming?.writer.abort();
  }

  /** A report broke a limit or the protocol: the node is told, and this copy's manifest is not tracked until it attaches again. */
  private async refuse(node: string, session: string, s: CopyState, err: unknown): Promise<void> {
    const mesh = toMeshError(err);
    await this.dropIncoming(s).catch(() => {});
    s.refused = true;
    if (mesh.code === 'LIMIT_EXCEEDED') {
      s.head = undefined;
      await this.deps.store.remove(session, node).catch(() => {});
    }
    if (this.deps.mayLog(node)) this.deps.log.warn({ node, session, code: mesh.code, err: mesh.message.slice(0, 300) }, 'manifest refused');
    this.deps.ack(node, { session, epoch: '', seq: 0, full: false, error: { code: mesh.code, message: mesh.message } });
  }
}
