// A durable Keyv store in plain JavaScript, for hosts without a native SQLite
// (the MCP Bundle): one append-only file of CRC-checked records
// (`log-record.ts`), keys and record positions in memory, values read back
// from the file.
//
// - Durability: a `set` or `delete` resolves only after its record is written
//   and the file fsynced. Writes queued while one fsync runs share the next
//   one (group commit), so many concurrent writers cost one fsync a batch.
// - Recovery: at open the file is read from the start; the first record that
//   is short or fails its CRC starts the torn tail of the last, unacknowledged
//   batch, and the file is cut there.
// - Compaction: once dead records outweigh live ones, live records are copied
//   to a temp file, fsynced, renamed over the log and the folder fsynced; a
//   crash at any point leaves either the old log or the new one whole.
// - One process at a time: the file is locked (proper-lockfile) for as long
//   as it is open; a second opener waits for a dead holder's lock to go stale
//   and otherwise fails, naming the file.
import { EventEmitter } from 'node:events';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { MeshError } from '../../errors.js';
import { fsyncDir } from '../fs/durable.js';
import { readExactly, writeAll } from '../fs/positional-io.js';
import { PRIVATE_FILE_MODE, privateLockFs } from '../fs/private-mode.js';
import { decodeRecord, encodeRecord, type LogRecord } from './log-record.js';

export interface LogStoreOptions {
  /** Compact when the file is at least this big and mostly dead records; bytes, default 4 MiB. */
  compactMinBytes?: number;
  /** A lock whose holder stopped refreshing it this long ago is stale; ms, default 10 000. */
  lockStaleMs?: number;
}

/** Where a key's live record sits in the file. */
interface Slot {
  offset: number;
  size: number;
}

interface PendingWrite {
  record: LogRecord;
  resolve: (existed: boolean) => void;
  reject: (err: Error) => void;
}

const READ_CHUNK_BYTES = 1024 * 1024;
const COMPACT_TAG = '.compact';

export class LogStore extends EventEmitter {
  /** Keyv reads `opts` (its iterator check reads `dialect` and `url`) and sets `namespace`. */
  readonly opts: { dialect: 'log'; url: string };
  namespace?: string;

  // Guarded by the write loop (`flushing`): only it appends, compacts and changes `index`, `end`, `dead`.
  private readonly index = new Map<string, Slot>();
  private end = 0;
  private dead = 0;
  private compactions = 0;
  private queue: PendingWrite[] = [];
  private flushing = false;
  private failed: Error | undefined;
  private closed = false;
  // Readers in flight on `handle`; compaction waits for them to drain and holds new ones at `gate`.
  private readers = 0;
  private drained: (() => void) | undefined;
  private gate: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private handle: FileHandle,
    private readonly releaseLock: () => Promise<void>,
    private readonly compactMinBytes: number,
  ) {
    super();
    this.opts = { dialect: 'log', url: `log://${file}` };
  }

  static async open(file: string, options: LogStoreOptions = {}): Promise<LogStore> {
    // Security: the store holds token hashes and every membership: owner only.
    await (await open(file, 'a', PRIVATE_FILE_MODE)).close();
    const stale = options.lockStaleMs ?? 10_000;
    let store: LogStore | undefined;
    const release = await lockfile
      .lock(file, {
        fs: privateLockFs,
        stale,
        // A holder SIGKILLed leaves its lock behind: wait for it to go stale, a little longer than `stale`.
        retries: { retries: Math.ceil(stale / 500) + 4, factor: 1, minTimeout: 500, maxTimeout: 500 },
        onCompromised: (err) => store?.fail(new MeshError('STORE_UNAVAILABLE', `lost the lock on ${file}: ${err.message}`)),
      })
      .catch((err: Error) => {
        throw new MeshError('STORE_UNAVAILABLE', `the store ${file} is open in another process (${err.message}); stop it first, or run this command against the hub's own store while it is stopped`);
      });
    try {
      // A crash during compaction leaves the temp copy; the log itself is whole (the rename had not happened).
      await rm(file + COMPACT_TAG, { force: true });
      const handle = await open(file, 'r+');
      store = new LogStore(file, handle, release, options.compactMinBytes ?? 4 * 1024 * 1024);
      await store.recover();
      return store;
    } catch (err) {
      await store?.handle.close().catch(() => {});
      await release().catch(() => {});
      throw err;
    }
  }

  async get(key: string): Promise<string | undefined> {
    this.check();
    const record = await this.readRecord(key);
    return record?.kind === 'set' ? record.value : undefined;
  }

  async set(key: string, value: unknown): Promise<boolean> {
    if (typeof value !== 'string') throw new TypeError('the log store keeps serialized (string) values only');
    await this.write({ kind: 'set', key, value });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.write({ kind: 'delete', key });
  }

  async has(key: string): Promise<boolean> {
    this.check();
    return this.index.has(key);
  }

  /** Delete every key of this store's namespace (every key without one). */
  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace}:` : '';
    await Promise.all([...this.index.keys()].filter((k) => k.startsWith(prefix)).map((k) => this.delete(k)));
  }

  async *iterator(namespace?: string): AsyncGenerator<[string, string]> {
    const prefix = namespace ? `${namespace}:` : '';
    // A snapshot of the keys: writes during the walk do not disturb it; a key deleted meanwhile is skipped.
    for (const key of [...this.index.keys()]) {
      if (!key.startsWith(prefix)) continue;
      const value = await this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Bytes in the file, bytes of live records, compactions done since open: for tests and benches. */
  stats(): { file: number; live: number; compactions: number } {
    return { file: this.end, live: this.end - this.dead, compactions: this.compactions };
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Queued writes are settled before the file closes (bounded: no write is accepted once closed).
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
    await this.handle.close().catch(() => {});
    await this.releaseLock().catch(() => {});
  }

  private check(): void {
    if (this.closed) throw new MeshError('STORE_UNAVAILABLE', `the store ${this.file} is closed`);
    if (this.failed) throw this.failed;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const pending of this.queue.splice(0)) pending.reject(this.failed);
  }

  private write(record: LogRecord): Promise<boolean> {
    this.check();
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  /** The one writer: appends what is queued as one batch, fsyncs, then acknowledges it. */
  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0 && !this.failed) {
        const batch = this.queue.splice(0);
        try {
          const encoded = batch.map((p) => encodeRecord(p.record));
          const bytes = Buffer.concat(encoded);
          await writeAll(this.handle, bytes, this.end);
          await this.handle.sync();
          const existed = this.apply(batch, encoded);
          batch.forEach((p, i) => p.resolve(existed[i]!));
        } catch (err) {
          // What reached the file unacknowledged is cut at the next open (or overwritten by the next batch if it was torn).
          const error = new MeshError('STORE_UNAVAILABLE', `write to ${this.file} failed: ${(err as Error).message}`);
          for (const p of batch) p.reject(error);
          // A failed fsync may have lost pages the kernel then reports clean: nothing after it can be trusted.
          this.fail(error);
        }
        if (this.dead * 2 > this.end && this.end >= this.compactMinBytes) await this.compact().catch((err: Error) => this.fail(new MeshError('STORE_UNAVAILABLE', `compaction of ${this.file} failed: ${err.message}`)));
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Enter a written batch into the index; says for each record whether its key existed before. */
  private apply(batch: PendingWrite[], encoded: Buffer[]): boolean[] {
    return batch.map((p, i) => {
      const size = encoded[i]!.length;
      const before = this.index.get(p.record.key);
      if (before) this.dead += before.size;
      if (p.record.kind === 'set') this.index.set(p.record.key, { offset: this.end, size });
      else {
        this.index.delete(p.record.key);
        this.dead += size;
      }
      this.end += size;
      return before !== undefined;
    });
  }

  /** Read the file from the start, index every whole record, cut a torn tail. */
  private async recover(): Promise<void> {
    const fileSize = (await this.handle.stat()).size;
    let buffer = Buffer.alloc(0);
    let bufferStart = 0; // file offset of buffer[0]
    let offset = 0;
    for (;;) {
      const decoded = decodeRecord(buffer, offset - bufferStart);
      if (decoded.status === 'record') {
        const { record, size } = decoded;
        const before = this.index.get(record.key);
        if (before) this.dead += before.size;
        if (record.kind === 'set') this.index.set(record.key, { offset, size });
        else {
          this.index.delete(record.key);
          this.dead += size;
        }
        offset += size;
        continue;
      }
      if (decoded.status === 'short' && bufferStart + buffer.length < fileSize) {
        const keep = buffer.subarray(offset - bufferStart);
        const want = Math.max(READ_CHUNK_BYTES, decoded.need - keep.length);
        const chunk = Buffer.alloc(Math.min(want, fileSize - bufferStart - buffer.length));
        await readExactly(this.handle, chunk, bufferStart + buffer.length, storeFileShort);
        buffer = Buffer.concat([keep, chunk]);
        bufferStart = offset;
        continue;
      }
      break; // torn, or short at the end of the file
    }
    this.end = offset;
    if (offset < fileSize) {
      this.emit('recovered', { file: this.file, keptBytes: offset, cutBytes: fileSize - offset });
      await this.handle.truncate(offset);
      await this.handle.sync();
    }
  }

  private async readRecord(key: string): Promise<LogRecord | undefined> {
    while (this.gate) await this.gate;
    // Looked up past the gate: a compaction moves every record.
    const slot = this.index.get(key);
    if (!slot) return undefined;
    this.readers++;
    try {
      const bytes = Buffer.alloc(slot.size);
      await readExactly(this.handle, bytes, slot.offset, storeFileShort);
      const decoded = decodeRecord(bytes);
      if (decoded.status !== 'record') throw new MeshError('STORE_UNAVAILABLE', `the store ${this.file} has a damaged record at byte ${slot.offset} (CRC mismatch)`);
      return decoded.record;
    } finally {
      if (--this.readers === 0) this.drained?.();
    }
  }

  /** Copy live records to a temp file and rename it over the log. Runs inside the write loop. */
  private async compact(): Promise<void> {
    let openGate!: () => void;
    this.gate = new Promise((resolve) => (openGate = resolve));
    try {
      if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      const temp = this.file + COMPACT_TAG;
      const moved = new Map<string, Slot>();
      let position = 0;
      try {
        const out = await open(temp, 'w', PRIVATE_FILE_MODE);
        try {
          for (const [key, slot] of this.index) {
            const bytes = Buffer.alloc(slot.size);
            await readExactly(this.handle, bytes, slot.offset, storeFileShort);
            await writeAll(out, bytes, position);
            moved.set(key, { offset: position, size: slot.size });
            position += slot.size;
          }
          await out.sync();
        } finally {
          await out.close();
        }
      } catch (err) {
        await rm(temp, { force: true }).catch(() => {});
        throw err;
      }
      // Closed before the rename: Windows refuses to rename over an open file.
      await this.handle.close();
      try {
        await rename(temp, this.file);
      } finally {
        // The old log when the rename failed, the compacted one when it worked.
        this.handle = await open(this.file, 'r+');
      }
      // The new name must survive a power cut before the old records may be forgotten.
      await fsyncDir(path.dirname(this.file));
      this.index.clear();
      for (const [key, slot] of moved) this.index.set(key, slot);
      this.end = position;
      this.dead = 0;
      this.compactions++;
    } finally {
      this.gate = undefined;
      openGate();
    }
  }
}

const storeFileShort = (at: number) => new MeshError('STORE_UNAVAILABLE', `unexpected end of the store file at byte ${at}`);
