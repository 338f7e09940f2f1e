// Stages a file once for every node it goes to: 4 MiB chunks, a SHA-256 per
// chunk and for the file, deflate done once per chunk and kept only where it
// pays. Chunks land fsynced in the staging folder so a push survives a hub
// restart. All I/O and compression is asynchronous (zlib runs on the libuv
// pool); the only work on the loop is hashing one chunk at a time.
import { createHash } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { deflate as deflateCb, inflate as inflateCb, constants as zlibConstants } from 'node:zlib';
import { MeshError } from '../../errors.js';
import { CHUNK_SIZE, COMPRESSION_PROBE_BYTES, planChunks, worthCompressing, type ChunkSpan } from '../fs/chunk-plan.js';
import { ensureDirDurable, fsyncDir } from '../fs/durable.js';
import { sha256Hex } from '../fs/hash.js';
import { PRIVATE_FILE_MODE } from '../fs/private-mode.js';
import type { DeliverRequest } from '../protocol/frames.js';
import type { ChunkInfo, TransferRecord } from '../store/records.js';

const deflate = promisify(deflateCb);
const inflate = promisify(inflateCb);
/** Files up to this size travel inline on the control stream. */
export const INLINE_MAX_BYTES = 256 * 1024;
const DEFLATE_OPTIONS = { level: zlibConstants.Z_BEST_SPEED };
/** Chunks in flight while staging: enough to keep both cores busy, small enough for memory. */
const STAGING_CONCURRENCY = 2;

export interface Staged {
  size: number;
  sha256: string;
  chunkSize: number;
  chunks: ChunkInfo[];
}

/** CPU-ish accounting of compression, for status and the compress-once benchmark. */
export const stagingStats = { compressMs: 0, compressedBytesIn: 0, chunksStaged: 0 };

export function chunkFile(stagingDir: string, index: number): string {
  return path.join(stagingDir, `${index}.chunk`);
}

export async function stageBuffer(data: Buffer, stagingDir: string, chunkSize = CHUNK_SIZE): Promise<Staged> {
  return stage(data.length, (span) => Promise.resolve(data.subarray(span.offset, span.offset + span.length)), stagingDir, chunkSize);
}

/** Stage a file given by path, or already open (the caller keeps and closes the handle). */
export async function stageFile(file: string | FileHandle, stagingDir: string, signal?: AbortSignal, chunkSize = CHUNK_SIZE): Promise<Staged> {
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
  try {
    const { size } = await handle.stat();
    return await stage(size, (span) => readSpan(handle, span), stagingDir, chunkSize, signal);
  } finally {
    if (typeof file === 'string') await handle.close();
  }
}

async function stage(
  size: number,
  read: (span: ChunkSpan) => Promise<Buffer>,
  stagingDir: string,
  chunkSize: number,
  signal?: AbortSignal,
): Promise<Staged> {
  await ensureDirDurable(stagingDir);
  const spans = planChunks(size, chunkSize);
  const chunks: ChunkInfo[] = new Array(spans.length);
  const fileHash = createHash('sha256');
  // Reads and whole-file hashing stay in order; compression and writes of
  // up to STAGING_CONCURRENCY chunks overlap.
  const inFlight = new Set<Promise<void>>();
  for (const span of spans) {
    if (signal?.aborted) throw new MeshError('CANCELLED', 'staging was cancelled');
    const raw = await read(span);
    fileHash.update(raw);
    const job = storeChunk(raw, span.index, stagingDir).then((info) => {
      chunks[span.index] = info;
    });
    const tracked = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= STAGING_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await fsyncDir(stagingDir);
  return { size, sha256: fileHash.digest('hex'), chunkSize, chunks };
}

async function storeChunk(raw: Buffer, index: number, stagingDir: string): Promise<ChunkInfo> {
  const sha256 = sha256Hex(raw);
  let body = raw;
  let compressed = false;
  // Probe a sample first: random or already-compressed data costs ~60 MB/s
  // of CPU to deflate for nothing.
  const probe = raw.subarray(0, COMPRESSION_PROBE_BYTES);
  const started = performance.now();
  const probeOut = await deflate(probe, DEFLATE_OPTIONS);
  if (worthCompressing(probe.length, probeOut.length)) {
    const whole = probe.length === raw.length ? probeOut : await deflate(raw, DEFLATE_OPTIONS);
    if (worthCompressing(raw.length, whole.length)) {
      body = whole;
      compressed = true;
    }
  }
  stagingStats.compressMs += performance.now() - started;
  stagingStats.compressedBytesIn += raw.length;
  stagingStats.chunksStaged++;
  const file = chunkFile(stagingDir, index);
  const handle = await open(file, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256, size: raw.length, compressed, wireSize: body.length };
}

async function readSpan(handle: FileHandle, span: ChunkSpan): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(span.length);
  let done = 0;
  while (done < span.length) {
    const { bytesRead } = await handle.read(buf, done, span.length - done, span.offset + done);
    if (bytesRead === 0) throw new MeshError('INTERNAL', 'source file shrank while it was being staged');
    done += bytesRead;
  }
  return buf;
}

/** The deliver request for a staged transfer; small files carry their bytes inline. */
export async function deliverRequest(record: TransferRecord, stagingDir: string): Promise<DeliverRequest> {
  const base = {
    transferId: record.id,
    session: record.session,
    path: record.path,
    size: record.size,
    sha256: record.sha256,
    chunkSize: record.chunkSize,
    chunkSha256: record.chunks.map((c) => c.sha256),
  };
  if (record.size > INLINE_MAX_BYTES) return { ...base, inline: false, data: Buffer.alloc(0) };
  const chunk = record.chunks[0];
  let data = Buffer.alloc(0);
  if (chunk) {
    data = await readFile(chunkFile(stagingDir, 0));
    if (chunk.compressed) data = await inflate(data);
  }
  return { ...base, inline: true, data };
}
