// What a node sends, checked at the protocol edge before the hub uses it:
// manifests, progress, and replies against the request they answer (size,
// count, type). A node may be hostile; nothing it sends reaches an MCP client
// or the hub's state unchecked. Pure functions.
import { MeshError } from '../../errors.js';
import { isSha256Hex } from '../fs/hash.js';
import { isBlake3Entry } from '../fs/blake3.js';
import { normalizeSessionPath, validateSessionName } from '../fs/paths.js';
import { DEFAULT_READ_BYTES, MAX_LIST_ENTRIES, MAX_READ_BYTES } from '../fs/read-ops.js';
import { REPLY_FIELD, type DeliverReply, type Entry, type FindReply, type FindRequest, type GrepReply, type GrepRequest, type ListReply, type ManifestDelta, type ManifestReport, type Progress, type ReadReply, type ReadRequest, type ReplyResults, type RequestOp, type RequestOps } from './frames.js';
import { checkFindReply, checkGrepReply } from './search-checks.js';

/** Entries one manifest report may hold. */
export const MAX_MANIFEST_ENTRIES = 100_000;
/** Longest file name in a listing, in UTF-16 code units (file systems cap names at 255 bytes). */
const MAX_NAME_LENGTH = 255;
const ENTRY_TYPES: ReadonlySet<string> = new Set(['file', 'directory', 'symlink', 'other']);

/** A transfer id as the hub makes it: 16 lowercase hex digits. Anything else is never looked up, logged or echoed. */
export function isTransferId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{16}$/.test(value);
}

function invalid(message: string): MeshError {
  return new MeshError('NODE_REPLY_INVALID', message);
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function checkEntry(e: Entry): Entry {
  // Security: a name with a separator or a dot-dot would let a node smuggle a path into what the client sees.
  if (typeof e.name !== 'string' || e.name === '' || e.name === '.' || e.name === '..' || e.name.length > MAX_NAME_LENGTH || /[/\\\0]/.test(e.name)) {
    throw invalid(`listing entry name ${JSON.stringify(String(e.name).slice(0, 80))} is not a file name`);
  }
  if (!ENTRY_TYPES.has(e.type)) throw invalid(`listing entry "${e.name}" has unknown type ${JSON.stringify(String(e.type).slice(0, 20))}`);
  if (!isCount(Number(e.size)) || !Number.isFinite(Number(e.mtimeMs))) throw invalid(`listing entry "${e.name}" has a bad size or mtime`);
  return { name: e.name, type: e.type, size: Number(e.size), mtimeMs: Number(e.mtimeMs) };
}

export function checkListReply(reply: ListReply): ListReply {
  const entries = reply.entries ?? [];
  if (entries.length > MAX_LIST_ENTRIES) throw invalid(`listing holds ${entries.length} entries; at most ${MAX_LIST_ENTRIES} may be sent`);
  return { entries: entries.map(checkEntry) };
}

export function checkReadReply(request: ReadRequest, reply: ReadReply): ReadReply {
  const size = Number(reply.size);
  const offset = Number(reply.offset);
  const asked = Number(request.length) || DEFAULT_READ_BYTES;
  const data = reply.data ?? Buffer.alloc(0);
  if (!isCount(size) || !isCount(offset)) throw invalid('read reply has a bad size or offset');
  if (offset !== Math.min(Number(request.offset), size)) throw invalid(`read reply starts at ${offset}, not at the requested ${request.offset}`);
  // Security: a node answering a 16-byte read with megabytes must not pass them on.
  if (data.length > Math.min(asked, MAX_READ_BYTES) || data.length > size - offset) {
    throw invalid(`read reply carries ${data.length} bytes for a read of at most ${Math.min(asked, size - offset)}`);
  }
  return { data, size, offset };
}

/** Chunk digests a deliver reply may list: 1 TiB of 4 MiB chunks. */
const MAX_REPLY_CHUNKS = 262_144;

export function checkDeliverReply(reply: DeliverReply): DeliverReply {
  if (!isSha256Hex(reply.sha256)) throw invalid('deliver reply has no valid SHA-256');
  if (!isCount(Number(reply.size)) || !isCount(Number(reply.fetchedBytes))) throw invalid('deliver reply has a bad size');
  const chunkBlake3 = reply.chunkBlake3 ?? [];
  // Security: at most one entry per chunk of the largest file a chunk index can name; each empty or a digest.
  if (!Array.isArray(chunkBlake3) || chunkBlake3.length > MAX_REPLY_CHUNKS || !chunkBlake3.every(isBlake3Entry)) {
    throw invalid('deliver reply has malformed chunk BLAKE3 digests');
  }
  return { sha256: reply.sha256, size: Number(reply.size), fetchedBytes: Number(reply.fetchedBytes), chunkBlake3 };
}

/** Check a reply's result against the request it answers; throws NODE_REPLY_INVALID. */
export function checkReply<K extends RequestOp>(op: K, request: RequestOps[K], result: unknown): ReplyResults[K] {
  if ((result === undefined || result === null) && REPLY_FIELD[op] !== 'ok') throw invalid(`reply to ${op} carries no result`);
  switch (op) {
    case 'list':
      return checkListReply(result as ListReply) as ReplyResults[K];
    case 'read':
      return checkReadReply(request as ReadRequest, result as ReadReply) as ReplyResults[K];
    case 'deliver':
      return checkDeliverReply(result as DeliverReply) as ReplyResults[K];
    case 'find':
      return checkFindReply(request as FindRequest, result as FindReply) as ReplyResults[K];
    case 'grep':
      return checkGrepReply(request as GrepRequest, result as GrepReply) as ReplyResults[K];
    default:
      return {} as ReplyResults[K];
  }
}

export function checkManifest(report: ManifestReport): ManifestReport {
  validateSessionName(report.session);
  if (report.epoch) return checkReportPage(report);
  const entries = report.entries ?? [];
  if (entries.length > MAX_MANIFEST_ENTRIES) {
    throw new MeshError('LIMIT_EXCEEDED', `manifest of session "${report.session}" holds ${entries.length} entries; the limit is ${MAX_MANIFEST_ENTRIES}`, { limit: MAX_MANIFEST_ENTRIES });
  }
  // An entry the hub could never hold (a name that is no session path) is left out, not the whole report.
  return { session: report.session, entries: entries.filter(isManifestEntry) };
}

function isManifestEntry(e: ManifestReport['entries'][number]): boolean {
  try {
    return normalizeSessionPath(e.path) === e.path && e.path !== '.' && isCount(Number(e.size)) && Number.isFinite(Number(e.mtimeMs)) && isSha256Hex(e.sha256);
  } catch {
    return false;
  }
}

export function checkProgress(progress: Progress): Progress {
  if (!isTransferId(progress.transferId)) throw invalid('progress names no valid transfer');
  if (!isCount(Number(progress.verifiedChunks)) || !isCount(Number(progress.bytes))) throw invalid('progress carries bad counts');
  return progress;
}

/** Entries (changed plus removed) one delta frame, or one page of a full report, may hold. */
export const MAX_MANIFEST_FRAME_ENTRIES = 5_000;

/** A node's index epoch: hex, as nodes make it. */
function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8,64}$/.test(value);
}

function isSessionPath(p: unknown): p is string {
  try {
    return typeof p === 'string' && normalizeSessionPath(p) === p && p !== '.';
  } catch {
    return false;
  }
}

/** Check a page of a full report: sequence fields, and the page size. */
function checkReportPage(report: ManifestReport): ManifestReport {
  if (!isEpoch(report.epoch)) throw new MeshError('INVALID_ARGUMENT', 'manifest report has a malformed epoch');
  if (!isCount(Number(report.seq)) || !isCount(Number(report.page))) throw new MeshError('INVALID_ARGUMENT', 'manifest report has a bad sequence or page number');
  const entries = report.entries ?? [];
  if (entries.length > MAX_MANIFEST_FRAME_ENTRIES) {
    throw new MeshError('LIMIT_EXCEEDED', `manifest page holds ${entries.length} entries; the limit is ${MAX_MANIFEST_FRAME_ENTRIES}`, { limit: MAX_MANIFEST_FRAME_ENTRIES });
  }
  return { session: report.session, entries: entries.filter(isManifestEntry), epoch: report.epoch, seq: Number(report.seq), page: Number(report.page), last: Boolean(report.last) };
}

export function checkManifestDelta(delta: ManifestDelta): ManifestDelta {
  validateSessionName(delta.session);
  if (!isEpoch(delta.epoch)) throw new MeshError('INVALID_ARGUMENT', 'manifest delta has a malformed epoch');
  const baseSeq = Number(delta.baseSeq);
  const seq = Number(delta.seq);
  if (!isCount(baseSeq) || !isCount(seq)) throw new MeshError('INVALID_ARGUMENT', 'manifest delta has a bad sequence number');
  const changed = delta.changed ?? [];
  const removed = delta.removed ?? [];
  // Security: one frame is bounded whatever the node claims; the hub paces the rest (one frame at a time).
  if (changed.length + removed.length > MAX_MANIFEST_FRAME_ENTRIES) {
    throw new MeshError('LIMIT_EXCEEDED', `manifest delta holds ${changed.length + removed.length} entries; the limit is ${MAX_MANIFEST_FRAME_ENTRIES}`, { limit: MAX_MANIFEST_FRAME_ENTRIES });
  }
  // An entry the hub could never hold is left out, as in a whole report.
  return { session: delta.session, epoch: delta.epoch, baseSeq, seq, changed: changed.filter(isManifestEntry), removed: removed.filter(isSessionPath) };
}
