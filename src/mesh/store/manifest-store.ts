// The manifests nodes report, kept in the store instead of hub memory. Per
// session and node: a small head (epoch, sequence, totals, page index) and
// pages of entries sorted by path (`comparePaths`). A delta rewrites the
// pages it touches, then the head; a full report is written as fresh pages
// and switched to by one head write. The hub holds at most one page at a
// time, whatever the number of files a node reports.
import type Keyv from 'keyv';
import { MeshError } from '../../errors.js';
import type { ManifestEntry } from '../fs/manifest.js';
import { comparePaths } from '../fs/path-order.js';
import { openKeyv, type OpenedStore } from './open-keyv.js';

/** Files one node's copy of one session may hold, as reported to the hub. */
export const MAX_MANIFEST_FILES = 100_000;
/** Bytes one node's manifest of one session may take in the store (see `entryBytes`). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
/** Entries a page is filled to by a full report; a page twice this size is split. */
export const PAGE_ENTRIES = 1_000;

export type StoredEntry = Pick<ManifestEntry, 'path' | 'size' | 'mtimeMs' | 'sha256'>;
type PackedEntry = [path: string, size: number, mtimeMs: number, sha256: string];

interface PageRef {
  id: number;
  /** Smallest path the page may hold; the first page holds everything before the second. */
  first: string;
}

export interface ManifestHead {
  epoch: string;
  /** The node's sequence this manifest is complete up to. */
  seq: number;
  count: number;
  bytes: number;
  pages: PageRef[];
  nextPageId: number;
}

/** What an entry costs in the store, for the size limit: its path and fixed fields, JSON-packed. */
export function entryBytes(e: StoredEntry): number {
  return Buffer.byteLength(e.path) + 100;
}

function pack(e: StoredEntry): PackedEntry {
  return [e.path, e.size, e.mtimeMs, e.sha256];
}

function unpack(p: PackedEntry): StoredEntry {
  return { path: p[0], size: p[1], mtimeMs: p[2], sha256: p[3] };
}

function overLimit(session: string, node: string, count: number, bytes: number): MeshError | undefined {
  if (count > MAX_MANIFEST_FILES) {
    return new MeshError('LIMIT_EXCEEDED', `the copy of session "${session}" on node "${node}" holds more than ${MAX_MANIFEST_FILES} files; the limit is ${MAX_MANIFEST_FILES}`, { limit: MAX_MANIFEST_FILES });
  }
  if (bytes > MAX_MANIFEST_BYTES) {
    return new MeshError('LIMIT_EXCEEDED', `the manifest of session "${session}" on node "${node}" is over ${MAX_MANIFEST_BYTES} bytes; the limit is ${MAX_MANIFEST_BYTES}`, { limit: MAX_MANIFEST_BYTES });
  }
  return undefined;
}

/** Index of the page that holds (or would hold) `path`: the last page whose `first` is not after it. */
function pageIndexOf(pages: readonly PageRef[], path: string): number {
  let lo = 0;
  let hi = pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (comparePaths(pages[mid].first, path) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export class ManifestStore {
  private constructor(private readonly opened: OpenedStore) {}

  static async open(storeUrl: string | undefined, dataDir: string): Promise<ManifestStore> {
    return new ManifestStore(await openKeyv(storeUrl, dataDir, 'manifest'));
  }

  private get kv(): Keyv {
    return this.opened.keyv;
  }

  async head(session: string, node: string): Promise<ManifestHead | undefined> {
    return this.read<ManifestHead>(`head:${session}:${node}`);
  }

  async page(session: string, node: string, id: number): Promise<StoredEntry[]> {
    return ((await this.read<PackedEntry[]>(`page:${session}:${node}:${id}`)) ?? []).map(unpack);
  }

  /** Every stored entry, page by page, in path order. */
  async *entries(session: string, node: string, head: ManifestHead): AsyncGenerator<StoredEntry[]> {
    for (const ref of head.pages) yield this.page(session, node, ref.id);
  }

  /** Forget a node's manifest of a session (membership ended, or a limit was broken). */
  async remove(session: string, node: string): Promise<void> {
    const head = await this.head(session, node);
    await this.kv.delete(`head:${session}:${node}`);
    for (const ref of head?.pages ?? []) await this.kv.delete(`page:${session}:${node}:${ref.id}`);
  }

  /**
   * Start replacing the manifest with a full report of `epoch` up to `seq`.
   * Entries must come in strictly increasing path order (checked). Nothing
   * the hub held before changes until `finish`.
   */
  beginFull(session: string, node: string, epoch: string, seq: number, previous: ManifestHead | undefined): FullReportWriter {
    return new FullReportWriter(this, session, node, epoch, seq, previous);
  }

  /**
   * Apply one delta (sorted or not) on top of `head` and return the new head,
   * stored. LIMIT_EXCEEDED when the copy would pass a limit; the manifest is
   * then left as it was before the delta, except for the pages already rewritten
   * (the caller removes it).
   */
  async applyDelta(session: string, node: string, head: ManifestHead, seq: number, changed: readonly StoredEntry[], removed: readonly string[]): Promise<ManifestHead> {
    const next: ManifestHead = { ...head, seq, pages: [...head.pages] };
    const byPage = new Map<PageRef, { changed: StoredEntry[]; removed: string[] }>();
    const slot = (path: string) => {
      if (next.pages.length === 0) next.pages.push({ id: next.nextPageId++, first: path });
      const ref = next.pages[pageIndexOf(next.pages, path)];
      let s = byPage.get(ref);
      if (!s) byPage.set(ref, (s = { changed: [], removed: [] }));
      return s;
    };
    for (const e of changed) slot(e.path).changed.push(e);
    for (const p of removed) if (next.pages.length > 0) slot(p).removed.push(p);
    // One page in memory at a time.
    for (const [ref, work] of byPage) {
      const entries = new Map((await this.page(session, node, ref.id)).map((e) => [e.path, e]));
      for (const p of work.removed) {
        const old = entries.get(p);
        if (!old) continue;
        entries.delete(p);
        next.count--;
        next.bytes -= entryBytes(old);
      }
      for (const e of work.changed) {
        const old = entries.get(e.path);
        if (old) next.bytes -= entryBytes(old);
        else next.count++;
        next.bytes += entryBytes(e);
        entries.set(e.path, e);
      }
      const limit = overLimit(session, node, next.count, next.bytes);
      if (limit) throw limit;
      await this.writePage(session, node, next, ref, [...entries.values()].sort((a, b) => comparePaths(a.path, b.path)));
    }
    await this.writeHead(session, node, next);
    return next;
  }

  /** Store a page's entries, split in two or more when it grew past twice its size, dropped when empty. */
  private async writePage(session: string, node: string, head: ManifestHead, ref: PageRef, sorted: StoredEntry[]): Promise<void> {
    const at = head.pages.indexOf(ref);
    if (sorted.length === 0) {
      // The page after an emptied first page becomes the first: it then holds everything before its own `first` too.
      head.pages.splice(at, 1);
      await this.kv.delete(`page:${session}:${node}:${ref.id}`);
      return;
    }
    if (sorted.length <= 2 * PAGE_ENTRIES) {
      await this.set(`page:${session}:${node}:${ref.id}`, sorted.map(pack));
      return;
    }
    const parts: PageRef[] = [];
    for (let i = 0; i < sorted.length; i += PAGE_ENTRIES) {
      const part = { id: i === 0 ? ref.id : head.nextPageId++, first: i === 0 ? ref.first : sorted[i].path };
      await this.set(`page:${session}:${node}:${part.id}`, sorted.slice(i, i + PAGE_ENTRIES).map(pack));
      parts.push(part);
    }
    head.pages.splice(at, 1, ...parts);
  }

  /** @internal */
  async writeHead(session: string, node: string, head: ManifestHead): Promise<void> {
    await this.set(`head:${session}:${node}`, head);
  }

  /** @internal */
  async writePageEntries(session: string, node: string, id: number, entries: StoredEntry[]): Promise<void> {
    await this.set(`page:${session}:${node}:${id}`, entries.map(pack));
  }

  /** @internal */
  async deletePage(session: string, node: string, id: number): Promise<void> {
    await this.kv.delete(`page:${session}:${node}:${id}`);
  }

  async close(): Promise<void> {
    await this.opened.close();
  }

  private async read<T>(key: string): Promise<T | undefined> {
    try {
      return (await this.kv.get<T>(key)) ?? undefined;
    } catch (err) {
      throw new MeshError('STORE_UNAVAILABLE', `store read of ${key} failed: ${(err as Error).message}`);
    }
  }

  private async set(key: string, value: unknown): Promise<void> {
    try {
      if ((await this.kv.set(key, value)) === false) throw new Error('the adapter refused the write');
    } catch (err) {
      throw new MeshError('STORE_UNAVAILABLE', `store write of ${key} failed: ${(err as Error).message}`);
    }
  }
}

/** Writes a full report page by page; the previous manifest stays in force until `finish`. */
export class FullReportWriter {
  private readonly head: ManifestHead;
  private buffer: StoredEntry[] = [];
  private last: string | undefined;

  constructor(
    private readonly store: ManifestStore,
    private readonly session: string,
    private readonly node: string,
    epoch: string,
    seq: number,
    private readonly previous: ManifestHead | undefined,
  ) {
    // Page ids go on from the previous head's, so the old pages stay readable until the switch.
    this.head = { epoch, seq, count: 0, bytes: 0, pages: [], nextPageId: previous?.nextPageId ?? 0 };
  }

  /** Add entries that follow every entry added so far, in path order; INVALID_ARGUMENT otherwise. */
  async add(entries: readonly StoredEntry[]): Promise<void> {
    for (const e of entries) {
      if (this.last !== undefined && comparePaths(this.last, e.path) >= 0) {
        throw new MeshError('INVALID_ARGUMENT', `full manifest entries are not in path order at ${JSON.stringify(e.path.slice(0, 200))}`);
      }
      this.last = e.path;
      this.head.count++;
      this.head.bytes += entryBytes(e);
      const limit = overLimit(this.session, this.node, this.head.count, this.head.bytes);
      if (limit) throw limit;
      this.buffer.push(e);
      if (this.buffer.length >= PAGE_ENTRIES) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const ref = { id: this.head.nextPageId++, first: this.buffer[0].path };
    await this.store.writePageEntries(this.session, this.node, ref.id, this.buffer);
    this.head.pages.push(ref);
    this.buffer = [];
  }

  /** Switch to the new manifest (one head write), then drop the previous pages. */
  async finish(): Promise<ManifestHead> {
    await this.flush();
    await this.store.writeHead(this.session, this.node, this.head);
    for (const ref of this.previous?.pages ?? []) await this.store.deletePage(this.session, this.node, ref.id);
    return this.head;
  }

  /** Give up: drop the pages written so far; the previous manifest stays. */
  async abort(): Promise<void> {
    await this.flush().catch(() => {});
    for (const ref of this.head.pages) await this.store.deletePage(this.session, this.node, ref.id).catch(() => {});
  }
}
