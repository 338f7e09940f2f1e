// Receiving side of a transfer. Inline files are written durably at once.
// Chunked files are pulled on a Fetch stream of their own into a `.part`
// file next to the target, while the hub may still be staging them: each
// chunk is checked against its hash (from the request, else the one it
// travels with) before it is kept, with BLAKE3 when the hub sent one and this
// node has it (blake3.ts: the same guarantee for a quarter of the CPU), else
// with SHA-256; the file hash, computed from the chunks' SHA-256
// (content-hash.ts: each byte is hashed once), is checked before the
// durable rename. A restarted delivery resumes from the first chunk that
// does not verify. A chunk arrives in 1 MiB pieces (pieces.ts), each hashed
// as it comes (about 1 ms of the agent's loop, which serves no one else in a
// hurry) and written at once, so no chunk is ever gathered in memory.
// Every file is reached through the target folder's checked handle
// (safe-open.ts): a folder swapped for a link, or a link or hard link planted
// as the part file, never gets a byte written outside the workspace.
import { createHash } from 'node:crypto';
import { isBlake3Entry, isBlake3Hex, newBlake3 } from '../fs/blake3.js';
import { rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { contentHashFromBlockHashes, contentHashOf } from '../fs/content-hash.js';
import { hashHandle, isSha256Hex, sha256HexOffLoop } from '../fs/hash.js';
import { relativeSegments } from '../fs/paths.js';
import { readUpTo, writeAll } from '../fs/positional-io.js';
import type { ContainedDir } from '../fs/safe-open.js';
import { openDirInside } from '../fs/safe-walk.js';
import { checkWriteTarget, commitAt, openOwnedFile, openParentForWrite, openRegularAt, removeAt, writeFileAt } from '../fs/safe-write.js';
import type { CancelRequest, Chunk, DeliverReply, DeliverRequest, FetchRequest, NodeFrameOut } from '../protocol/frames.js';

/** Open a Fetch stream for `request`, cancelled when `signal` aborts. */
export type FetchChunks = (request: FetchRequest, signal: AbortSignal) => AsyncIterable<Chunk>;
import { NODE_PIECE_BYTES } from '../protocol/pieces.js';
import { withDeliveryHeap } from './heap-budget.js';
import { pieceBytes } from './piece-intake.js';
import type { NodeWorkspace } from './workspace.js';


/** Fetch attempts per delivery before it is reported failed (hub re-sends later). */
const MAX_FETCH_ATTEMPTS = 8;
const PROGRESS_EVERY_MS = 200;
/** Largest chunk a hub may ask for: a Fetch message is bounded by MAX_MESSAGE_BYTES anyway. */
const MAX_CHUNK_SIZE = 8 * 1024 * 1024;

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
    /** Opens a Fetch stream (fetch-route.ts: the hub's fetch port, or the main connection). */
    private readonly fetch: FetchChunks,
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
    const root = this.workspace.sessionRoot(req.session);
    const dir = await openDirInside(root, segments.slice(0, -1)).catch(() => undefined);
    if (!dir) return;
    try {
      await removeAt(dir, partNameFor(segments[segments.length - 1]!, req.transferId));
    } finally {
      await dir.close();
    }
    await removeEmptyFolders(root, segments.slice(0, -1));
  }

  /** Whether a delivery of `transferId` is running here now (its part file is in use). */
  isRunning(transferId: string): boolean {
    return this.running.has(transferId);
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
        const digest = contentHashOf(req.data);
        if (digest !== req.sha256) throw new MeshError('CHECKSUM_MISMATCH', `inline data for ${req.path} does not match its content hash`);
        await writeFileAt(dir, name, req.data, { want: req.path });
        this.workspace.noteChanged(req.session);
        return { sha256: digest, size: req.data.length, fetchedBytes: req.data.length, chunkBlake3: [] };
      }
      // A delivery that finished while the hub could not hear the reply (link
      // drop, hub restart) is asked for again: the file is in place already.
      if (await holdsContent(dir, name, req)) {
        await removeAt(dir, partNameFor(name, req.transferId));
        // The file may be there from an attempt whose folder fsync failed:
        // make it durable before saying so (a failed fsync is never success).
        await syncInPlace(dir, name);
        this.log.info({ transfer: req.transferId, path: req.path, size: req.size }, 'already delivered');
        return { sha256: req.sha256, size: req.size, fetchedBytes: 0, chunkBlake3: [] };
      }
      return await withDeliveryHeap(() => this.receiveChunked(req, dir, name, signal));
    } finally {
      await dir.close();
    }
  }

  private async receiveChunked(req: DeliverRequest, dir: ContainedDir, name: string, signal: AbortSignal): Promise<DeliverReply> {
    const size = Number(req.size);
    // Security: sizes come from the hub; a chunk size of 0 or beyond a message would never end or never fit.
    if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(req.chunkSize) || req.chunkSize <= 0 || req.chunkSize > MAX_CHUNK_SIZE) {
      throw new MeshError('INVALID_ARGUMENT', `delivery of ${req.path}: size ${size} or chunk size ${req.chunkSize} out of range`);
    }
    const total = Math.ceil(size / req.chunkSize);
    if (req.chunkSha256.length > total || !req.chunkSha256.every(isSha256Hex)) {
      throw new MeshError('INVALID_ARGUMENT', `delivery of ${req.path}: chunk hashes do not fit the file`);
    }
    const chunkBlake3 = req.chunkBlake3 ?? [];
    if (chunkBlake3.length > req.chunkSha256.length || !chunkBlake3.every(isBlake3Entry)) {
      throw new MeshError('INVALID_ARGUMENT', `delivery of ${req.path}: chunk BLAKE3 hashes do not fit the chunk hashes`);
    }
    const part = partNameFor(name, req.transferId);
    // Security: a link or hard link planted as the part file is replaced, never written through.
    const handle = await openOwnedFile(dir, part);
    let fetchedBytes = 0;
    try {
      // The hashes of the chunks kept so far, in order: the file hash follows from them.
      const hashes = await verifiedPrefix(handle, req);
      // The BLAKE3 each chunk was checked against ('' for SHA-256, as the resumed prefix was): the hub compares them.
      const checkedBlake3: string[] = hashes.map(() => '');
      let verified = hashes.length;
      await handle.truncate(verified * req.chunkSize);
      const resumedFromChunk = verified;
      if (verified > 0) this.log.info({ transfer: req.transferId, verified }, 'resuming delivery');
      let lastProgress = 0;
      const report = (force: boolean) => {
        const now = Date.now();
        if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        const bytes = Math.min(size, verified * req.chunkSize);
        this.send({ progress: { transferId: req.transferId, verifiedChunks: verified, bytes } });
      };
      report(true);
      for (let attempt = 1; verified < total; attempt++) {
        if (signal.aborted) throw cancelled(req);
        try {
          // The chunk being received: its pieces arrive in order and are written as they come; it counts only
          // once all its bytes hash to the expected value (a chunk cut short is truncated away on the next attempt).
          let filled = 0;
          let check: ChunkCheck | undefined;
          const fetchRequest = { transferId: req.transferId, fromChunk: verified, maxPieceBytes: NODE_PIECE_BYTES };
          for await (const piece of this.fetch(fetchRequest, signal)) {
            const wantLength = Math.min(req.chunkSize, size - verified * req.chunkSize);
            const raw = await pieceBytes(piece, { index: verified, filled, length: wantLength, path: req.path });
            check ??= chunkCheck(chunkBlake3[verified] || piece.blake3);
            check.hasher.update(raw);
            await writeAll(handle, raw, verified * req.chunkSize + filled);
            fetchedBytes += raw.length;
            filled += raw.length;
            if (filled < wantLength) continue;
            const expected = req.chunkSha256[verified] ?? piece.sha256;
            if (!isSha256Hex(expected) || check.hasher.digest('hex') !== (check.blake3 ?? expected)) {
              throw new MeshError('CHECKSUM_MISMATCH', `chunk ${piece.index} of ${req.path} failed verification`);
            }
            hashes.push(expected);
            checkedBlake3.push(check.blake3 ?? '');
            verified++;
            filled = 0;
            check = undefined;
            report(false);
          }
        } catch (err) {
          if (signal.aborted) throw cancelled(req);
          const mesh = toMeshError(err);
          this.log.warn({ transfer: req.transferId, chunk: verified, attempt, code: mesh.code, err: mesh.message }, 'fetch interrupted; fetching again');
          if (attempt >= MAX_FETCH_ATTEMPTS) throw mesh;
          await handle.truncate(verified * req.chunkSize);
          await delay(Math.min(2_000, 100 * 2 ** attempt), signal).catch(() => {});
        }
      }
      report(true);
      await handle.sync();
      const digest = contentHashFromBlockHashes(hashes);
      // The request may predate the end of staging (no file hash yet): the hub then compares the reply's.
      if (req.sha256 && digest !== req.sha256) {
        await removeAt(dir, part);
        throw new MeshError('CHECKSUM_MISMATCH', `${req.path}: file hash ${digest} differs from ${req.sha256}`);
      }
      await handle.close();
      await commitAt(dir, part, name, req.path);
      this.workspace.noteChanged(req.session);
      this.log.info({ transfer: req.transferId, path: req.path, size, resumedFromChunk, fetchedBytes }, 'delivered');
      return { sha256: digest, size, fetchedBytes, chunkBlake3: checkedBlake3.some(Boolean) ? checkedBlake3 : [] };
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
}

/** How one chunk is checked: the hasher its bytes go through, and the BLAKE3 it must give (else its SHA-256 must match). */
interface ChunkCheck {
  hasher: { update(data: Uint8Array): unknown; digest(format: 'hex'): string };
  blake3?: string;
}

/** BLAKE3 when the hub sent a well-formed one and this node has BLAKE3, else SHA-256. */
function chunkCheck(blake3: string | undefined): ChunkCheck {
  const hasher = isBlake3Hex(blake3) ? newBlake3() : undefined;
  return hasher ? { hasher, blake3 } : { hasher: createHash('sha256') };
}

/**
 * The hashes of the leading chunks of an existing part file that match the
 * hashes the request carries (a resumed delivery keeps them).
 */
async function verifiedPrefix(handle: FileHandle, req: DeliverRequest): Promise<string[]> {
  const have = (await handle.stat()).size;
  const size = Number(req.size);
  const hashes: string[] = [];
  const buf = Buffer.allocUnsafe(Math.min(req.chunkSize, Math.max(have, 1)));
  for (let i = 0; i < req.chunkSha256.length; i++) {
    const start = i * req.chunkSize;
    const len = Math.min(req.chunkSize, size - start);
    if (start + len > have || len > buf.length) break;
    const view = buf.subarray(0, len);
    if ((await readUpTo(handle, view, start)) !== len || (await sha256HexOffLoop(view)) !== req.chunkSha256[i]) break;
    hashes.push(req.chunkSha256[i]!);
  }
  return hashes;
}

/**
 * Remove the folders of `segments` below `root` that are empty, deepest
 * first (a cancelled delivery leaves no empty folder it made). rmdir removes
 * only an empty folder and never follows a link.
 */
async function removeEmptyFolders(root: string, segments: string[]): Promise<void> {
  for (let depth = segments.length; depth > 0; depth--) {
    const parent = await openDirInside(root, segments.slice(0, depth - 1)).catch(() => undefined);
    if (!parent) return;
    try {
      const removed = await rmdir(parent.at(segments[depth - 1]!)).then(
        () => true,
        () => false,
      );
      if (!removed) return;
      await parent.sync();
    } finally {
      await parent.close();
    }
  }
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

/** True when `name` in `dir` is a regular file (not a link) with exactly the transfer's size and file hash. */
async function holdsContent(dir: ContainedDir, name: string, req: DeliverRequest): Promise<boolean> {
  if (!req.sha256) return false; // staging not finished: the file hash is not known yet
  const handle = await openRegularAt(dir, name);
  if (!handle) return false;
  try {
    if ((await handle.stat()).size !== Number(req.size)) return false;
    return (await hashHandle(handle).catch(() => undefined)) === req.sha256;
  } finally {
    await handle.close();
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
