// Pure path rules, one set for session files and skills alike: every path a
// client or a node sends is relative to a root (a session, a skill folder, the
// skills library); these functions decide whether it stays inside, without I/O.
// `\` is a separator everywhere, because a node may run on Windows.
import path from 'node:path';
import { MeshError } from '../../errors.js';

/** Longest accepted session-relative path, in UTF-16 code units. */
export const MAX_PATH_LENGTH = 4096;

/** Session names: 1-64 characters, letters, digits, '.', '_', '-', not starting with '.', '_' or '-'. */
export const SESSION_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Node ids: same alphabet as session names, 1-128 characters. */
export const NODE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// `C:`, `C:\x`, `C:/x` and the drive-relative `C:x` all leave the root on Windows.
const DRIVE_RE = /^[A-Za-z]:/;

/** Quote a path for an error message: JSON escapes NUL and control characters, long input is cut. */
function quote(input: string): string {
  const shown = input.length > 200 ? `${input.slice(0, 200)}...` : input;
  return JSON.stringify(shown);
}

/**
 * Validate a path that must be relative to a session root and return its
 * normalized POSIX form: separators are '/', '.' and empty segments are gone,
 * and '..' segments are applied. The root itself ('' or '.') is returned as '.'.
 *
 * Backslashes count as separators as well, because a node may run on Windows.
 * Throws `MeshError` with `details.rule` set to `type`, `length`, `nul-byte`
 * (`PATH_INVALID`), or `absolute`, `dot-dot` (`PATH_OUTSIDE_SESSION`).
 */
export function normalizeSessionPath(input: string): string {
  if (typeof input !== 'string') {
    throw new MeshError('PATH_INVALID', `path must be a string, got ${typeof input}`, { rule: 'type' });
  }
  if (input.length > MAX_PATH_LENGTH) {
    throw new MeshError('PATH_INVALID', `path is ${input.length} characters long; the limit is ${MAX_PATH_LENGTH}`, {
      rule: 'length',
      limit: MAX_PATH_LENGTH,
    });
  }
  // Security: a NUL byte truncates the path in C-level calls, so "ok.txt\0../../x"
  // could check as one path and open as another.
  if (input.includes('\0')) {
    throw new MeshError('PATH_INVALID', `path ${quote(input)} contains a NUL byte`, { rule: 'nul-byte' });
  }
  // Security: an absolute path (POSIX root, UNC share, drive letter) would make
  // path.join/resolve discard the session root altogether.
  if (input.startsWith('/') || input.startsWith('\\') || DRIVE_RE.test(input)) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `path ${quote(input)} is absolute; use a path relative to the session root`, {
      rule: 'absolute',
    });
  }
  const stack: string[] = [];
  for (const segment of input.split(/[\\/]/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      // Security: '..' above the root is the classic traversal ("../../etc/passwd").
      if (stack.length === 0) {
        throw new MeshError('PATH_OUTSIDE_SESSION', `path ${quote(input)} escapes the session root ('..' segment)`, {
          rule: 'dot-dot',
        });
      }
      stack.pop();
      continue;
    }
    stack.push(segment);
  }
  const normalized = stack.join('/');
  // Security: "a/../C:/x" normalizes to a drive path that Windows would treat as absolute.
  if (DRIVE_RE.test(normalized)) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `path ${quote(input)} names a drive; use a path relative to the session root`, {
      rule: 'absolute',
    });
  }
  return normalized === '' ? '.' : normalized;
}

/**
 * The segments of a path that must name something below a root (a file or
 * folder, never the root itself): `normalizeSessionPath`, split on '/'.
 * The root ('', '.', 'a/..') is `PATH_INVALID` rule `empty`; `what` names
 * the argument in that message.
 */
export function relativeSegments(input: string, what = 'path'): string[] {
  const normalized = normalizeSessionPath(input);
  if (normalized === '.') {
    throw new MeshError('PATH_INVALID', `${what} ${quote(input)} names no file or folder below the root`, { rule: 'empty' });
  }
  return normalized.split('/');
}

/** Segments of an absolute path, for the platform's separator. */
function segmentsOf(abs: string): string[] {
  const resolved = path.resolve(abs);
  const parts = resolved.split(path.sep).filter((s) => s !== '');
  // Windows compares names case-insensitively (drive letters included).
  return process.platform === 'win32' ? parts.map((s) => s.toLowerCase()) : parts;
}

/**
 * True when `candidate` is `root` or lies below it. Both must be absolute;
 * a relative input is never inside. Compares whole segments.
 */
export function isInside(root: string, candidate: string): boolean {
  if (!path.isAbsolute(root) || !path.isAbsolute(candidate)) return false;
  // Security: a string prefix test would accept "/root-evil" for root "/root".
  const r = segmentsOf(root);
  const c = segmentsOf(candidate);
  if (c.length < r.length) return false;
  for (let i = 0; i < r.length; i++) if (r[i] !== c[i]) return false;
  return true;
}

/** `PATH_OUTSIDE_SESSION` rule `link`: `detail` says how the path met a link. */
export function linkError(rel: string, detail: string, details: Record<string, unknown> = {}): MeshError {
  return new MeshError('PATH_OUTSIDE_SESSION', `path ${quote(rel)} ${detail}`, { rule: 'link', ...details });
}

/** `PATH_SPECIAL_FILE`: a FIFO, socket or device where a file or folder was expected. */
export function specialError(rel: string): MeshError {
  return new MeshError('PATH_SPECIAL_FILE', `path ${quote(rel)} is not a regular file or folder`, { rule: 'special' });
}

/**
 * Normalize `rel` with `normalizeSessionPath` and join it to the absolute
 * `root`; the result is checked to be inside the root. No I/O: links are
 * the business of `resolve.ts` and `safe-open.ts`.
 */
export function joinInside(root: string, rel: string): string {
  const normalized = normalizeSessionPath(rel);
  const base = path.resolve(root);
  const abs = normalized === '.' ? base : path.join(base, ...normalized.split('/'));
  if (!isInside(base, abs)) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `path ${quote(rel)} resolves outside the session root`, {
      rule: 'containment',
    });
  }
  return abs;
}

/** Return `name` when it is a valid session name, else throw `INVALID_SESSION_NAME`. */
export function validateSessionName(name: string): string {
  // Security: the name becomes a folder under <data>/sessions; '.', '..' and
  // separators are excluded by the regex (no leading dot, no '/' or '\').
  if (typeof name !== 'string' || !SESSION_NAME_RE.test(name)) {
    throw new MeshError('INVALID_SESSION_NAME', `invalid session name ${quote(String(name))}`, { argument: 'session' });
  }
  return name;
}

/** Return `id` when it is a valid node id (1-128 characters), else throw `INVALID_ARGUMENT`. */
export function validateNodeId(id: string): string {
  if (typeof id !== 'string' || !NODE_ID_RE.test(id)) {
    throw new MeshError(
      'INVALID_ARGUMENT',
      `invalid node id ${quote(String(id))}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { argument: 'nodeId' },
    );
  }
  return id;
}
