// The frames a node sends about one session copy, cut from its index: a
// full report (every file, in pages, in path order), the changes after a
// sequence the hub holds, and a batch of changes just recorded. Each
// resolves with the sequence the hub will hold once it has taken them in.
import type { ManifestEntryWire, NodeFrameOut } from '../protocol/frames.js';
import type { CopyChange, CopyIndex, IndexedFile } from './copy-index.js';

/** Entries per frame of a full report or a delta. */
export const REPORT_PAGE = 1_000;

export type SendFrame = (frame: NodeFrameOut) => Promise<void>;

const toWire = (f: Pick<IndexedFile, 'path' | 'size' | 'mtimeMs' | 'sha256'>): ManifestEntryWire => ({ path: f.path, size: f.size, mtimeMs: f.mtimeMs, sha256: f.sha256 });

/** The whole copy, in pages of REPORT_PAGE files in code-point order. */
export async function sendFull(index: CopyIndex, session: string, send: SendFrame): Promise<number> {
  const head = await index.head(session);
  let after: string | undefined;
  for (let page = 0; ; page++) {
    const files = await index.filesAfter(session, after, REPORT_PAGE);
    const last = files.length < REPORT_PAGE;
    await send({ manifest: { session, entries: files.map(toWire), epoch: head.epoch, seq: head.seq, page, last } });
    if (last) return head.seq;
    after = files[files.length - 1].path;
  }
}

/** Everything changed after `seq` (tombstones included), in frames of REPORT_PAGE rows, in sequence order. */
export async function sendSince(index: CopyIndex, session: string, seq: number, send: SendFrame): Promise<number> {
  const head = await index.head(session);
  for (let base = seq; base < head.seq; ) {
    const rows = await index.changedSince(session, base, REPORT_PAGE);
    // A row holds the sequence of its last change only: the last frame reaches the copy's current sequence.
    const upTo = rows.length < REPORT_PAGE ? head.seq : rows[rows.length - 1].seq;
    const changed = rows.filter((r) => !r.removed).map(toWire);
    const removed = rows.filter((r) => r.removed).map((r) => r.path);
    await send({ manifestDelta: { session, epoch: head.epoch, baseSeq: base, seq: upTo, changed, removed } });
    base = upTo;
  }
  return head.seq;
}

/** Changes just recorded under sequences `from`+1 ... `from`+changes.length, in frames of REPORT_PAGE. */
export async function sendRecorded(epoch: string, session: string, from: number, changes: readonly CopyChange[], send: SendFrame): Promise<number> {
  for (let i = 0; i < changes.length; i += REPORT_PAGE) {
    const part = changes.slice(i, i + REPORT_PAGE);
    const changed: ManifestEntryWire[] = [];
    const removed: string[] = [];
    for (const ch of part) {
      if (ch.removed) removed.push(ch.path);
      else changed.push(toWire(ch));
    }
    await send({ manifestDelta: { session, epoch, baseSeq: from + i, seq: from + i + part.length, changed, removed } });
  }
  return from + changes.length;
}
