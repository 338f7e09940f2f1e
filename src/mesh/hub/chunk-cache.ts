// Encoded chunk frames shared by every node's Fetch stream. Staging puts each
// chunk's frame here as it stages it, so nodes keeping up with staging are
// served from the very buffer the source was read into: no second read, no
// per-node copy. Bounded by bytes. Nodes read a transfer in chunk order, so
// an entry is dropped as soon as every node expected to read it has; when
// over budget, entries already read by some node go first (least recently
// used first: only nodes far behind still need them, and they read them from
// the data file again), then unread entries furthest ahead (staging ran
// ahead of every node; the first node to get there reads it again once).

/** Default bound of the cache, bytes: a few chunks of the transfers running now. */
export const CHUNK_CACHE_BYTES = 32 * 1024 * 1024;

interface Entry {
  frame: Promise<Buffer>;
  index: number;
  /** Bytes, once loaded. */
  size?: number;
  reads: number;
  /** Readers expected (nodes with a pending delivery when it was cached). */
  expected: number;
}

export class ChunkCache {
  /** Insertion order is recency order (an entry is re-inserted when read). */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes = CHUNK_CACHE_BYTES) {}

  /** Keep a frame that was just made (staging), for `expected` readers. */
  put(transferId: string, index: number, frame: Buffer, expected: number): void {
    const key = `${transferId}:${index}`;
    this.drop(key);
    if (expected <= 0) return;
    this.entries.set(key, { frame: Promise.resolve(frame), index, size: frame.length, reads: 0, expected });
    this.bytes += frame.length;
    this.evict();
  }

  /** The frame for chunk `index`, from the cache or from `load` (kept for `expected` readers, this one included). */
  get(transferId: string, index: number, expected: number, load: () => Promise<Buffer>): Promise<Buffer> {
    const key = `${transferId}:${index}`;
    const hit = this.entries.get(key);
    if (hit) {
      hit.reads++;
      this.entries.delete(key);
      if (hit.reads < hit.expected) this.entries.set(key, hit);
      else if (hit.size !== undefined) this.bytes -= hit.size;
      return hit.frame;
    }
    const frame = load();
    const entry: Entry = { frame, index, reads: 1, expected };
    if (expected > 1) this.entries.set(key, entry);
    frame.then(
      (loaded) => {
        if (this.entries.get(key) !== entry) return; // dropped meanwhile
        entry.size = loaded.length;
        this.bytes += loaded.length;
        this.evict();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return frame;
  }

  /** Forget a finished or cancelled transfer. */
  dropTransfer(transferId: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${transferId}:`)) this.drop(key);
  }

  get size(): number {
    return this.bytes;
  }

  private evict(): void {
    if (this.bytes <= this.maxBytes) return;
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      if (entry.size !== undefined && entry.reads > 0) this.drop(key);
    }
    const unread = [...this.entries].filter(([, e]) => e.size !== undefined).sort((a, b) => b[1].index - a[1].index);
    for (const [key] of unread) {
      if (this.bytes <= this.maxBytes) return;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (entry.size !== undefined) this.bytes -= entry.size;
  }
}
