// One read of each piece for every stream that sends it. The nodes of one
// push fetch the same pieces within moments of each other; each stream
// reading its own copy from the staged data file made the hub copy every
// byte once per node out of the page cache (8 GiB of copies for 1 GiB to 8
// nodes; about a third of that now, bench/README.md). A piece
// read for one stream is lent to every stream asking for it while any holds
// it, and kept a little while after (a stream slightly behind still finds
// it); past that it is read again.
//
// A buffer is never refilled while a stream may still be writing it: an
// entry's buffer goes back to the pool only once no stream holds it, and an
// entry abandoned by a stream that went away mid-write (its socket may still
// hold the bytes) is left to the garbage collector instead.

/** Bytes of pieces no stream holds that are kept for streams behind. */
export const IDLE_PIECE_BYTES = 24 * 1024 * 1024;
/** Bytes of empty buffers kept for the next reads while streams run. */
const FREE_BUFFER_BYTES = 8 * 1024 * 1024;

interface Entry {
  key: string;
  /** The staged data file the piece comes from: its entries go when its last stream ends. */
  file: string;
  buffer: Buffer;
  /** Resolves with the sealed frame (a view of `buffer`) once read. */
  frame: Promise<Buffer>;
  /** Streams holding the frame (asked and not released). */
  refs: number;
  /** A holder went away without its write finishing: the buffer is still lent while others hold it, but never returns to the pool. */
  abandoned: boolean;
}

/** Where a reader's piece bytes come from: the key names the piece and its exact frame. */
export interface PieceSource {
  file: string;
  key: string;
  /** Bytes of the buffer the frame is laid out in. */
  capacity: number;
  /** Read the piece into `buffer` and seal its frame; the frame (a view of `buffer`). */
  fill(buffer: Buffer): Promise<Buffer>;
}

export class SharedPieces {
  private readonly entries = new Map<string, Entry>();
  private readonly byFrame = new WeakMap<Buffer, Entry>();
  /** Entries no stream holds, oldest first (a Map keeps insertion order). */
  private readonly idle = new Map<string, Entry>();
  private idleBytes = 0;
  /** Empty buffers by capacity. */
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  /** Readers open per staged data file. */
  private readonly readers = new Map<string, number>();
  private stats = { reads: 0, shared: 0 };

  constructor(private readonly idleLimit = IDLE_PIECE_BYTES) {}

  /** A stream starts reading `file`. */
  open(file: string): void {
    this.readers.set(file, (this.readers.get(file) ?? 0) + 1);
  }

  /** A stream of `file` ended: with its last one, the file's idle pieces go; with the last of all, the empty buffers too. */
  close(file: string): void {
    const left = (this.readers.get(file) ?? 1) - 1;
    if (left > 0) return void this.readers.set(file, left);
    this.readers.delete(file);
    for (const entry of [...this.idle.values()]) if (entry.file === file) this.evict(entry);
    if (this.readers.size === 0) {
      this.free.clear();
      this.freeBytes = 0;
    }
  }

  /** The frame of `source`'s piece, read now or shared with the streams reading it; the caller holds it until `release`. */
  async acquire(source: PieceSource): Promise<Buffer> {
    const known = this.entries.get(source.key);
    if (known) {
      known.refs++;
      this.stats.shared++;
      if (this.idle.delete(known.key)) this.idleBytes -= known.buffer.length;
      return known.frame;
    }
    const buffer = this.take(source.capacity);
    // Known by its frame before any holder sees the frame (the callback runs once `entry` is set).
    const frame = source.fill(buffer).then((read) => (this.byFrame.set(read, entry), read));
    const entry: Entry = { key: source.key, file: source.file, buffer, frame, refs: 1, abandoned: false };
    this.entries.set(entry.key, entry);
    this.stats.reads++;
    try {
      return await entry.frame;
    } catch (err) {
      // Every stream waiting on it gets the error; nothing holds the buffer.
      if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
      this.give(buffer);
      throw err;
    }
  }

  /** The caller's write of `frame` is done. */
  release(frame: Buffer): void {
    const entry = this.byFrame.get(frame);
    if (!entry || entry.refs === 0) return;
    entry.refs--;
    if (entry.refs > 0 || this.entries.get(entry.key) !== entry) return;
    // Lent while others held it, never pooled: its last holder lets it go to the garbage collector.
    if (entry.abandoned) return void this.entries.delete(entry.key);
    this.idle.set(entry.key, entry);
    this.idleBytes += entry.buffer.length;
    while (this.idleBytes > this.idleLimit) this.evict(this.idle.values().next().value!);
  }

  /** The caller went away while `frame` may still be queued on its socket: it is never reused. */
  abandon(frame: Buffer): void {
    const entry = this.byFrame.get(frame);
    if (!entry || entry.refs === 0) return;
    entry.refs--;
    entry.abandoned = true;
    if (entry.refs === 0 && this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }

  /** Pieces read from the file and pieces lent without a read, since start. */
  counts(): { reads: number; shared: number } {
    return { ...this.stats };
  }

  private evict(entry: Entry): void {
    this.idle.delete(entry.key);
    this.idleBytes -= entry.buffer.length;
    this.entries.delete(entry.key);
    this.give(entry.buffer);
  }

  private take(capacity: number): Buffer {
    const buffer = this.free.get(capacity)?.pop();
    if (!buffer) return Buffer.allocUnsafeSlow(capacity);
    this.freeBytes -= capacity;
    return buffer;
  }

  private give(buffer: Buffer): void {
    if (this.readers.size === 0 || this.freeBytes + buffer.length > FREE_BUFFER_BYTES) return;
    const list = this.free.get(buffer.length) ?? [];
    list.push(buffer);
    this.free.set(buffer.length, list);
    this.freeBytes += buffer.length;
  }
}
