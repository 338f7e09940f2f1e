// Receiving side of a transfer. Inline files are written durably at once.
// Chunked files are pulled on a Fetch stream of their own into a `.part`
// file next to the target: each chunk is checked against its hash before it
// is kept, the whole file is checked before the durable rename, and a
// restarted delivery resumes from the first chunk that does not verify.
// Every file is reached through the target folder's checked handle
// (safe-open.ts): a folder swapped for a link, or a link or hard link planted
// as the part file, never gets a byte written outside the workspace.
import type * as grpc from '@grpc/grpc-js';
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflate as inflateCb } from 'node:zlib';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { hashHandle, sha256Hex } from '../fs/hash.js';
import { relativeSegments } from '../fs/paths.js';
import type { ContainedDir } from '../fs/safe-open.js';
import { openDirInside } from '../fs/safe-walk.js';
import { checkWriteTarget, commitAt, openOwnedFile, openParentForWrite, openRegularAt, removeAt, writeFileAt } from '../fs/safe-write.js';
import type { CancelRequest, Chunk, DeliverReply, DeliverRequest, FetchRequest, NodeFrameOut } from '../protocol/frames.js';
import type { NodeWorkspace } from './workspace.js';

const inflate = promisify(inflateCb);

/** Fetch attempts per delivery before it is reported failed (hub re-sends later). */
const MAX_FETCH_ATTEMPTS = 8;
const PROGRESS_EVERY_MS = 200;

interface Running {
  abort: AbortController;
  promise: Promise<DeliverReply>;
}

/** Name of the part file of a transfer, beside its target `name`. */
export function partNameFor(name: string, transferId: string): string {
  // Security: the id becomes part of a file name; a separator in it ("x/../../y") would name another folder.
  if (!/^[0-9a-f]{8,64}$/.test(transferId)) {
    throw new MeshError('INVALID_ARGUMENT', `transfer id ${JSON.stringify(transferId)} is not hex`, { argument: 'transferId' });
  }
  return `.${name}.part-${transferId}`;
}

export class Deliverer {
  /** Deliveries in progress, by transfer id: a re-sent request joins the running one. */
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly workspace: NodeWorkspace,
    private readonly client: grpc.Client,
    private readonly metadata: () => grpc.Metadata,
    private readonly log: Logger,
    private readonly send: (frame: NodeFrameOut) => void,
  ) {}

  deliver(req: DeliverRequest): Promise<DeliverReply> {
    const existing = this.running.get(req.transferId);
    if (existing) return existing.promise;
    const abort = new AbortController();
    const promise = this.run(req, abort.signal).finally(() => this.running.delete(req.transferId));
    this.running.set(req.transferId, { abort, promise });
    return promise;
  }

  async cancel(req: CancelRequest): Promise<void> {
    const running = this.running.get(req.transferId);
    running?.abort.abort();
    await running?.promise.catch(() => {});
    // Remove a part file left by an earlier, interrupted run too.
    let segments: string[];
    try {
      segments = relativeSegments(req.path);
    } catch {
      return; // no delivery could have written there
    }
    const dir = await openDirInside(this.workspace.sessionRoot(req.session), segments.slice(0, -1)).catch(() => undefined);
    if (!dir) return;
    try {
      await removeAt(dir, partNameFor(segments[segments.length - 1]!, req.transferId));
    } finally {
      await dir.close();
    }
  }

  abortAll(): void {
    for (const r of this.running.values()) r.abort.abort();
  }

  private async run(req: DeliverRequest, signal: AbortSignal): Promise<DeliverReply> {
    const root = await this.workspace.ensureSession(req.session);
    // The folder stays open (and checked) for the whole delivery.
    const { dir, name } = await openParentForWrite(root, req.path);
    try {
      await checkWriteTarget(dir, name, req.path);
      if (req.inline) {
        const digest = sha256Hex(req.data);
        if (digest !== req.sha256) throw new MeshError('CHECKSUM_MISMATCH', `inline data for ${req.path} does not match its SHA-256`);
        await writeFileAt(dir, name, req.data, { want: req.path });
        this.workspace.noteChanged(req.session);
        return { sha256: digest, size: req.data.length, fetchedBytes: req.data.length };
      }
      // A delivery that finished while the hub could not hear the reply (link
      // drop, hub restart) is asked for again: the file is in place already.
      if (await holdsContent(dir, name, req)) {
        await removeAt(dir, partNameFor(name, req.transferId));
        // The file may be there from an attempt whose folder fsync failed:
        // make it durable before saying so (a failed fsync is never success).
        await syncInPlace(dir, name);
        this.log.info({ transfer: req.transferId, path: req.path, size: req.size }, 'already delivered');
        return { sha256: req.sha256, size: req.size, fetchedBytes: 0 };
      }
      return await this.receiveChunked(req, dir, name, signal);
    } finally {
      await dir.close();
    }
  }

  private async receiveChunked(req: DeliverRequest, dir: ContainedDir, name: string, signal: AbortSignal): Promise<DeliverReply> {
    const part = partNameFor(name, req.transferId);
    // Security: a link or hard link planted as the part file is replaced, never written through.
    const handle = await openOwnedFile(dir, part);
    const fileHash = createHash('sha256');
    let fetchedBytes = 0;
    try {
      let verified = await verifiedPrefix(handle, req, fileHash);
      await handle.truncate(verified * req.chunkSize);
      const resumedFromChunk = verified;
      if (verified > 0) this.log.info({ transfer: req.transferId, verified }, 'resuming delivery');
      let lastProgress = 0;
      const report = (force: boolean) => {
        const now = Date.now();
        if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        const bytes = Math.min(req.size, verified * req.chunkSize);
        this.send({ progress: { transferId: req.transferId, verifiedChunks: verified, bytes } });
      };
      report(true);
      for (let attempt = 1; verified < req.chunkSha256.length; attempt++) {
        if (signal.aborted) throw cancelled(req);
        try {
          for await (const chunk of this.fetch({ transferId: req.transferId, fromChunk: verified }, signal)) {
            const raw = chunk.compressed ? await inflate(chunk.data) : chunk.data;
            fetchedBytes += raw.length;
            if (chunk.index !== verified || sha256Hex(raw) !== req.chunkSha256[verified]) {
              throw new MeshError('CHECKSUM_MISMATCH', `chunk ${chunk.index} of ${req.path} failed verification`);
            }
            await writeAll(handle, raw, verified * req.chunkSize);
            fileHash.update(raw);
            verified++;
            report(false);
          }
        } catch (err) {
          if (signal.aborted) throw cancelled(req);
          const mesh = toMeshError(err);
          this.log.warn({ transfer: req.transferId, chunk: verified, attempt, code: mesh.code, err: mesh.message }, 'fetch interrupted; fetching again');
          if (attempt >= MAX_FETCH_ATTEMPTS) throw mesh;
          await delay(Math.min(2_000, 100 * 2 ** attempt), signal).catch(() => {});
        }
      }
      report(true);
      await handle.sync();
      const digest = fileHash.digest('hex');
      if (digest !== req.sha256) {
        await removeAt(dir, part);
        throw new MeshError('CHECKSUM_MISMATCH', `${req.path}: whole-file SHA-256 ${digest} differs from ${req.sha256}`);
      }
      await handle.close();
      await commitAt(dir, part, name, req.path);
      this.workspace.noteChanged(req.session);
      this.log.info({ transfer: req.transferId, path: req.path, size: req.size, resumedFromChunk, fetchedBytes }, 'delivered');
      return { sha256: digest, size: req.size, fetchedBytes };
    } catch (err) {
      await handle.close().catch(() => {});
      // A delivery that failed on the disk (fsync EIO, full, read-only)
      // removes its part file: after a failed fsync the kernel may have
      // dropped the dirty pages, so the bytes are no longer trusted, and a
      // delivery reported failed must leave nothing temporary behind.
      if (signal.aborted || toMeshError(err).code === 'DISK_FAILED') await removeAt(dir, part).catch(() => {});
      throw err;
    }
  }

  private fetch(request: FetchRequest, signal: AbortSignal): AsyncIterable<Chunk> {
    const stream = (this.client as unknown as { Fetch(r: FetchRequest, md: grpc.Metadata): grpc.ClientReadableStream<Chunk> }).Fetch(
      request,
      this.metadata(),
    );
    const onAbort = () => stream.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('close', () => signal.removeEventListener('abort', onAbort));
    return stream;
  }
}

/**
 * How many leading chunks of an existing part file match the expected
 * hashes; feeds them into the whole-file hash so nothing is read twice.
 */
async function verifiedPrefix(handle: FileHandle, req: DeliverRequest, fileHash: Hash): Promise<number> {
  const size = (await handle.stat()).size;
  let verified = 0;
  const buf = Buffer.alloc(Math.min(req.chunkSize, Math.max(size, 1)));
  for (let i = 0; i < req.chunkSha256.length; i++) {
    const start = i * req.chunkSize;
    const len = Math.min(req.chunkSize, req.size - start);
    if (start + len > size) break;
    const view = buf.length >= len ? buf.subarray(0, len) : Buffer.alloc(len);
    const { bytesRead } = await handle.read(view, 0, len, start);
    if (bytesRead !== len || sha256Hex(view) !== req.chunkSha256[i]) break;
    fileHash.update(view);
    verified++;
  }
  return verified;
}

/** fsync file `name` of `dir` and then `dir` itself. */
async function syncInPlace(dir: ContainedDir, name: string): Promise<void> {
  const handle = await openRegularAt(dir, name);
  try {
    await handle?.sync();
    await dir.sync();
  } catch (err) {
    throw toMeshError(err);
  } finally {
    await handle?.close();
  }
}

/** True when `name` in `dir` is a regular file (not a link) with exactly the transfer's size and SHA-256. */
async function holdsContent(dir: ContainedDir, name: string, req: DeliverRequest): Promise<boolean> {
  const handle = await openRegularAt(dir, name);
  if (!handle) return false;
  try {
    if ((await handle.stat()).size !== Number(req.size)) return false;
    return (await hashHandle(handle).catch(() => undefined)) === req.sha256;
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function cancelled(req: DeliverRequest): MeshError {
  return new MeshError('CANCELLED', `delivery of ${req.path} was cancelled`);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))), { once: true });
  });
}
