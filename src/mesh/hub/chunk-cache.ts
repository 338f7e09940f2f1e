// Encoded chunk messages shared by every node's Fetch stream. Staging puts
// each chunk's encoded reply here as it stages it, so nodes keeping up with
// staging are served from the very buffer the source was read into: no
// second read, no per-node copy. Bounded by bytes; least recently used first
// out. A node far behind reads its chunk from the data file again.

/** Default bound of the cache, bytes: a few chunks of the transfers running now. */
export const CHUNK_CACHE_BYTES = 32 * 1024 * 1024;

export class ChunkCache {
  /** Insertion order is recency order (an entry is re-inserted when used). */
  private readonly entries = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly maxBytes = CHUNK_CACHE_BYTES) {}

  /** Keep an encoded reply that was just made (staging). */
  put(transferId: string, index: number, message: Buffer): void {
    const key = `${transferId}:${index}`;
    this.drop(key);
    this.entries.set(key, Promise.resolve(message));
    this.account(key, message.length);
  }

  /** The encoded reply for chunk `index`, from the cache or from `load` (whose result is kept). */
  get(transferId: string, index: number, load: () => Promise<Buffer>): Promise<Buffer> {
    const key = `${transferId}:${index}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const loading = load();
    this.entries.set(key, loading);
    loading.then(
      (encoded) => {
        if (this.entries.get(key) === loading) this.account(key, encoded.length); // else dropped meanwhile
      },
      () => {
        if (this.entries.get(key) === loading) this.drop(key);
      },
    );
    return loading;
  }

  /** Forget a finished or cancelled transfer. */
  dropTransfer(transferId: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${transferId}:`)) this.drop(key);
  }

  get size(): number {
    return this.bytes;
  }

  private account(key: string, size: number): void {
    this.sizes.set(key, size);
    this.bytes += size;
    for (const k of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) return;
      if (this.sizes.has(k)) this.drop(k);
    }
  }

  private drop(key: string): void {
    this.entries.delete(key);
    this.bytes -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }
}
