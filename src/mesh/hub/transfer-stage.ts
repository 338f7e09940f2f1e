// Staging: a transfer's bytes, kept by the hub until every node has them.
// One data file per transfer (`<staging>/<id>/data`), written once from the
// source and fsynced per batch of chunks; a chunk becomes fetchable only
// once its bytes are durable there and its hash is in the store, so a hub
// restart never forgets a chunk a node may already hold. Each chunk is read
// into one of a few buffers staging reuses, written, and hashed on the hash
// thread (hash-thread.ts); nodes' streams read the data file
// (piece-reader.ts), so staging allocates nothing per chunk.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MeshError } from '../../errors.js';
import { faultValue } from '../faults.js';
import { planChunks, type ChunkSpan } from '../fs/chunk-plan.js';
import { contentHashFromBlockHashes } from '../fs/content-hash.js';
import { sha256OnThread } from '../fs/hash-thread.js';
import { readExactly, writeAll } from '../fs/positional-io.js';
import { PRIVATE_FILE_MODE } from '../fs/private-mode.js';
import type { DeliverRequest } from '../protocol/frames.js';
import type { ChunkInfo, SourceIdentity, TransferRecord } from '../store/records.js';

/** Files up to this size travel inline on the control stream. */
export const INLINE_MAX_BYTES = 256 * 1024;
/** Chunks read ahead of the oldest one not yet durable: bounds staging memory to a few chunks. */
const MAX_UNSYNCED_CHUNKS = 4;
/**
 * Chunks being read, written and hashed at once: reading chunk k+1 overlaps
 * writing and hashing chunk k (reads and writes run on the libuv pool,
 * hashes on the hash thread), which keeps both cores busy while the loop
 * only moves buffers along.
 */
const STAGING_WINDOW = 3;

/** Figures of staging since the hub started, for status and benchmarks. */
export const stagingStats = { chunksStaged: 0, bytesStaged: 0, hashMs: 0 };

export function dataFile(stagingDir: string): string {
  return path.join(stagingDir, 'data');
}

/** How many chunks a transfer has in all. */
export function chunkCount(record: Pick<TransferRecord, 'size' | 'chunkSize'>): number {
  return Math.ceil(record.size / record.chunkSize);
}

/** What identifies a source file's content without reading it: a change to any field means it was written. */
export async function sourceIdentity(handle: FileHandle): Promise<SourceIdentity> {
  const st = await handle.stat({ bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

export function sameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

export function sourceChanged(what: string): MeshError {
  return new MeshError('SOURCE_CHANGED', `${what} changed while it was being pushed; push it again once it is no longer being written`);
}

/** Reads one span of the source into `into` (exactly `span.length` bytes) or throws. */
export type SpanReader = (span: ChunkSpan, into: Buffer) => Promise<void>;

export function readerOfBuffer(data: Buffer): SpanReader {
  return (span, into) => {
    data.copy(into, 0, span.offset, span.offset + span.length);
    return Promise.resolve();
  };
}

const slowSourceMs = Number(faultValue('slow-source') ?? 0);
/** Under the slow-source fault, reads of one source wait one after another, as on a slow disk. */
let slowReads: Promise<unknown> = Promise.resolve();

/** A reader of an open file; a file shorter than expected is a source that changed. */
export function readerOfHandle(handle: FileHandle, what: string): SpanReader {
  return async (span, into) => {
    if (slowSourceMs > 0) {
      const turn = slowReads.then(() => sleep(slowSourceMs));
      slowReads = turn;
      await turn;
    }
    await readExactly(handle, into, span.offset, () => sourceChanged(what));
  };
}

export const stagedDataShort = (id: string) => () => new MeshError('INTERNAL', `the staged data of transfer ${id} is shorter than its record`);

export interface StageOptions {
  record: TransferRecord;
  stagingDir: string;
  read: SpanReader;
  signal?: AbortSignal;
  /**
   * Chunks now durable in the data file, in order. Called one batch at a
   * time; it stores them with the record before they may be fetched. When
   * it includes the last chunk, `complete` is true.
   */
  onDurable(chunks: ChunkInfo[], complete: boolean): Promise<void>;
  /** Checked once every chunk is written and before the last one is made durable: throw to fail the staging. */
  beforeComplete?(): Promise<void>;
}

/**
 * Stage the chunks of `record` from `record.chunks.length` on. Reading,
 * hashing and writing of chunk k+1 overlap the fsync and store write of the
 * batch before it.
 */
export async function stageChunks(options: StageOptions): Promise<void> {
  const { record, signal } = options;
  const spans = planChunks(record.size, record.chunkSize);
  const handle = await open(dataFile(options.stagingDir), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  let unsynced: ChunkInfo[] = [];
  let committing: Promise<void> | undefined;
  const commit = async (complete: boolean): Promise<void> => {
    const batch = unsynced;
    unsynced = [];
    await handle.sync();
    if (complete) await options.beforeComplete?.();
    await options.onDurable(batch, complete);
  };
  // One chunk: read into a free buffer, written to the data file, hashed; the buffer is free again once it settles.
  // Written before it is hashed: its memory is away on the hash thread meanwhile (hash-thread.ts).
  const free: Buffer[] = [];
  const prepare = async (span: ChunkSpan): Promise<ChunkInfo> => {
    let buffer: Buffer = free.pop() ?? Buffer.allocUnsafeSlow(record.chunkSize);
    try {
      const data = buffer.subarray(0, span.length);
      await options.read(span, data);
      await writeAll(handle, data, span.offset);
      const started = performance.now();
      const hashed = await sha256OnThread(buffer, span.length, true);
      buffer = hashed.buffer;
      stagingStats.hashMs += performance.now() - started;
      return { sha256: hashed.sha256, blake3: hashed.blake3, size: span.length };
    } finally {
      if (buffer.length > 0) free.push(buffer); // a buffer lost with a failed hash thread is not reused
    }
  };
  const jobs = new Map<number, Promise<ChunkInfo>>();
  let next = record.chunks.length;
  const fill = () => {
    while (next < spans.length && jobs.size < STAGING_WINDOW && !signal?.aborted) {
      const job = prepare(spans[next]!);
      job.catch(() => {}); // awaited in order below
      jobs.set(next++, job);
    }
  };
  try {
    for (let k = record.chunks.length; k < spans.length; k++) {
      if (signal?.aborted) throw new MeshError('CANCELLED', 'staging was stopped');
      fill();
      const info = await jobs.get(k)!;
      jobs.delete(k);
      unsynced.push(info);
      stagingStats.chunksStaged++;
      stagingStats.bytesStaged += info.size;
      if (k === spans.length - 1) break;
      // One commit in flight; the next batch is whatever was written meanwhile.
      if (committing && unsynced.length >= MAX_UNSYNCED_CHUNKS) await committing;
      committing ??= commit(false).finally(() => (committing = undefined));
    }
    await committing;
    await commit(true);
  } finally {
    await Promise.allSettled([...jobs.values(), committing]);
    await handle.close();
  }
}

/** The chunks already staged still match the source (read and hashed again): a push resumed after a restart. */
export async function verifyStagedPrefix(record: TransferRecord, read: SpanReader): Promise<void> {
  const spans = planChunks(record.size, record.chunkSize);
  let buf: Buffer = Buffer.allocUnsafeSlow(record.chunkSize);
  for (let k = 0; k < record.chunks.length; k++) {
    const span = spans[k]!;
    await read(span, buf.subarray(0, span.length));
    const hashed = await sha256OnThread(buf, span.length);
    buf = hashed.buffer;
    if (hashed.sha256 !== record.chunks[k]!.sha256) throw sourceChanged(`source of ${record.path}`);
  }
}

/** The file hash of a fully staged transfer. */
export function fileHashOf(chunks: readonly ChunkInfo[]): string {
  return contentHashFromBlockHashes(chunks.map((c) => c.sha256));
}

/** The deliver request for a transfer; small files carry their bytes inline (only once fully staged). */
export async function deliverRequest(record: TransferRecord, stagingDir: string): Promise<DeliverRequest> {
  const base = {
    transferId: record.id,
    session: record.session,
    path: record.path,
    size: record.size,
    // Empty until staging completes; each chunk's hash known so far travels along.
    sha256: record.sha256,
    chunkSize: record.chunkSize,
    chunkSha256: record.chunks.map((c) => c.sha256),
    chunkBlake3: record.chunks.some((c) => c.blake3) ? record.chunks.map((c) => c.blake3 ?? '') : [],
  };
  if (record.size > INLINE_MAX_BYTES) return { ...base, inline: false, data: Buffer.alloc(0) };
  const data = Buffer.alloc(record.size);
  if (record.size > 0) {
    const handle = await open(dataFile(stagingDir), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await readExactly(handle, data, 0, stagedDataShort(record.id));
    } finally {
      await handle.close();
    }
  }
  return { ...base, inline: true, data };
}
