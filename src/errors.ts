// One error type with stable codes for the whole project. The catalogue maps
// each code to the gRPC status a node or hub reports it with, and to a hint
// that tells an LLM (or an operator) what to do next. The README's error
// table is kept in step with this catalogue by a test.
import { status as GrpcStatus } from '@grpc/grpc-js';

export const ERROR_CATALOGUE = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, hint: 'Fix the named argument and call again.' },
  INVALID_SESSION_NAME: {
    grpc: GrpcStatus.INVALID_ARGUMENT,
    hint: 'Session names are 1-64 characters of letters, digits, ".", "_" and "-", starting with a letter or digit.',
  },
  SESSION_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, hint: 'Call `status` to see the existing sessions.' },
  NODE_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, hint: 'Call `status` to see the members of the session.' },
  SESSION_NOT_GRANTED: {
    grpc: GrpcStatus.PERMISSION_DENIED,
    hint: 'The node credential does not grant this session; an operator grants it with `mesh-assistant token grant`.',
  },
  NOT_A_MEMBER: { grpc: GrpcStatus.PERMISSION_DENIED, hint: 'The node is not a member of this session; pick a member from `status`.' },
  NODE_OFFLINE: { grpc: GrpcStatus.UNAVAILABLE, hint: 'The node is not attached right now; try another node, or the hub mirror (omit `node`).' },
  NODE_TIMEOUT: { grpc: GrpcStatus.DEADLINE_EXCEEDED, hint: 'The node did not answer in time; try again later.' },
  PATH_INVALID: { grpc: GrpcStatus.INVALID_ARGUMENT, hint: 'Use a non-empty relative path without NUL bytes.' },
  PATH_OUTSIDE_SESSION: {
    grpc: GrpcStatus.PERMISSION_DENIED,
    hint: 'Use a path relative to the session root, without "..", absolute prefixes or links that lead outside.',
  },
  PATH_SPECIAL_FILE: { grpc: GrpcStatus.PERMISSION_DENIED, hint: 'Only regular files, folders and links are served.' },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, hint: 'Call `ls` on the parent folder to see what exists.' },
  NOT_A_FILE: { grpc: GrpcStatus.FAILED_PRECONDITION, hint: 'The path is a folder; use `ls` on it.' },
  NOT_A_DIRECTORY: { grpc: GrpcStatus.FAILED_PRECONDITION, hint: 'The path is a file; use `cat` on it.' },
  TOO_LARGE: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, hint: 'Stay under the size limit: read with offset/length, or use `push` for large files.' },
  LIMIT_EXCEEDED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, hint: 'A per-node or per-client limit was reached; the message names it. Slow down or stay under it.' },
  NODE_REPLY_INVALID: { grpc: GrpcStatus.INTERNAL, hint: 'The node sent a reply that breaks the protocol; it was dropped. Check that node.' },
  BINARY_CONTENT: { grpc: GrpcStatus.FAILED_PRECONDITION, hint: 'The file is binary; call `cat` with encoding "base64".' },
  INVALID_ENCODING: { grpc: GrpcStatus.INVALID_ARGUMENT, hint: 'Send valid base64, or use encoding "utf8" for text.' },
  SOURCE_NOT_ALLOWED: { grpc: GrpcStatus.PERMISSION_DENIED, hint: 'Push only files under the hub source roots (--source-root / MESH_SOURCE_ROOTS).' },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, hint: 'Send a valid token as "authorization: Bearer <token>".' },
  CHECKSUM_MISMATCH: { grpc: GrpcStatus.DATA_LOSS, hint: 'The data was corrupted in transit; it is fetched again automatically.' },
  TRANSFER_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, hint: 'The transfer finished or was cancelled.' },
  TRANSFER_FAILED: { grpc: GrpcStatus.ABORTED, hint: 'The delivery failed on this node; see the reason, and try again.' },
  CANCELLED: { grpc: GrpcStatus.CANCELLED, hint: 'The operation was cancelled; nothing partial was left behind.' },
  SOURCE_CHANGED: {
    grpc: GrpcStatus.ABORTED,
    hint: 'The source file was written while it was being pushed; no node kept a mix of old and new bytes. Push it again once it is complete.',
  },
  HUB_STOPPING: {
    grpc: GrpcStatus.UNAVAILABLE,
    hint: 'The hub is restarting. An accepted push or write continues when it is back: follow it with `status` (the message names the transfer).',
  },
  SKILL_INVALID: { grpc: GrpcStatus.INVALID_ARGUMENT, hint: 'Fix SKILL.md as the message says: front matter with `name` (equal to the folder name) and `description`.' },
  SKILL_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, hint: 'A different skill with this name is in the library; pass replace: true to add a new version.' },
  SKILL_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, hint: 'List the library with the skill:// resources.' },
  LOCK_FAILED: { grpc: GrpcStatus.ABORTED, hint: 'Another promotion of this skill held the lock too long, or the lock was lost; try again.' },
  SKILL_BUSY: {
    grpc: GrpcStatus.UNAVAILABLE,
    hint: 'The skill folder is being promoted; write again in a moment (the folder becomes a link to the library: write into the session under another name, or promote a new version).',
  },
  BUSY: { grpc: GrpcStatus.UNAVAILABLE, hint: 'The hub is at one of its limits (the message names it); try again after the Retry-After delay.' },
  DISK_FAILED: {
    grpc: GrpcStatus.UNAVAILABLE,
    hint: 'The disk refused the write (I/O error, full, or read-only); it was not acknowledged and the previous file is intact. Free space or fix the disk, then write again.',
  },
  EDIT_NO_MATCH: { grpc: GrpcStatus.FAILED_PRECONDITION, hint: 'Read the file again with `cat` and copy `oldText` exactly, whitespace and line ends included.' },
  EDIT_AMBIGUOUS: { grpc: GrpcStatus.FAILED_PRECONDITION, hint: 'Make `oldText` longer (add the lines around it) so that it occurs exactly once.' },
  EDIT_CONFLICT: { grpc: GrpcStatus.ABORTED, hint: 'The file changed while the edit was being applied; read it again and retry the edit.' },
  NOT_EMPTY: { grpc: GrpcStatus.FAILED_PRECONDITION, hint: 'The path is a folder; pass recursive: true to delete it with everything in it.' },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, hint: 'The destination exists; pass overwrite: true to replace it, or pick another name.' },
  PATTERN_INVALID: { grpc: GrpcStatus.INVALID_ARGUMENT, hint: 'Fix the pattern as the message says (a plain string with regex: false is always accepted).' },
  HUB_ALREADY_RUNNING: {
    grpc: GrpcStatus.FAILED_PRECONDITION,
    hint: 'Another hub runs on this data folder (the message names its pid and addresses); use it, stop it, or start this one with another --data folder.',
  },
  ADDRESS_IN_USE: { grpc: GrpcStatus.UNAVAILABLE, hint: 'The listen address is taken by another process; the message names the port and the flag that changes it.' },
  STORE_UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, hint: 'The membership store cannot be reached; check --store / MESH_STORE_URL.' },
  HUB_UNREACHABLE: { grpc: GrpcStatus.UNAVAILABLE, hint: 'Start the hub, or point --data or --url (and --token) at the running one.' },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, hint: 'An unexpected error; the hub log on stderr has the details.' },
} as const satisfies Record<string, { grpc: GrpcStatus; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

export class MeshError extends Error {
  override readonly name = 'MeshError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable context, e.g. `{ rule: 'dot-dot' }` for path errors. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get hint(): string {
    // A hint fitted to the call (a push source names the source roots) wins over the catalogue's.
    return typeof this.details.hint === 'string' ? this.details.hint : ERROR_CATALOGUE[this.code].hint;
  }

  get grpcStatus(): GrpcStatus {
    return ERROR_CATALOGUE[this.code].grpc;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }

  /** Rebuild an error carried as data (a wire `Error` frame or a stored outcome). */
  static fromWire(err: { code?: string; message?: string }): MeshError {
    const code = err.code && isErrorCode(err.code) ? err.code : 'INTERNAL';
    return new MeshError(code, err.message || code);
  }
}

/** errno codes that mean the storage itself failed (EIO from fsync included). */
const DISK_ERRNOS = new Set(['EIO', 'ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG']);

/** Any thrown value as a MeshError; unknown errors become INTERNAL with their message. */
export function toMeshError(err: unknown): MeshError {
  if (err instanceof MeshError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object') {
    if (e.code === 'ENOENT') return new MeshError('NOT_FOUND', e.message);
    if (e.code === 'EISDIR') return new MeshError('NOT_A_FILE', e.message);
    if (e.code === 'ENOTDIR') return new MeshError('NOT_A_DIRECTORY', e.message);
    if (e.code === 'ELOOP') return new MeshError('PATH_OUTSIDE_SESSION', e.message, { rule: 'link' });
    // A failed fsync, a full or read-only disk: never success, and never an anonymous INTERNAL.
    if (e.code && DISK_ERRNOS.has(e.code)) return new MeshError('DISK_FAILED', e.message, { errno: e.code });
  }
  return new MeshError('INTERNAL', e instanceof Error ? e.message : String(err));
}
