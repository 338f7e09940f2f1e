// Listing and ranged reads inside a session root, shared by the hub (its
// mirror) and node agents (their copies), so both sides apply the same rules.
// Both read through the handle that was checked (safe-open.ts), never by path.
import { MeshError } from '../../errors.js';
import type { Entry } from '../protocol/frames.js';
import { isTransientName } from './manifest.js';
import { readUpTo } from './positional-io.js';
import type { RootHandles } from './root-handles.js';
import type { LinkScope } from './safe-open.js';
import { openExistingInside, type OpenedEntry } from './safe-walk.js';

/** Default and hard cap for one read, in bytes. */
export const DEFAULT_READ_BYTES = 256 * 1024;
export const MAX_READ_BYTES = 4 * 1024 * 1024;
/** A listing stops after this many entries (it says so). */
export const MAX_LIST_ENTRIES = 5_000;

/**
 * Close `opened` once the answer has gone out: not waited for (close never
 * rejects), and not even started before the caller's answer is written, as
 * handing a close to the thread pool costs the event loop a wake-up of a
 * pool thread that, on a busy machine, ran before the answer.
 */
function closeAfterAnswer(opened: OpenedEntry): void {
  setImmediate(() => void opened.close());
}

/**
 * `scope`: where links may lead besides the root (the skills library), see
 * LinkScope. `roots`: root folders kept open between reads (root-handles.ts).
 */
export async function listDir(root: string, rel: string, scope?: LinkScope, roots?: RootHandles): Promise<{ entries: Entry[]; truncated: boolean }> {
  const opened = await openExistingInside(root, rel, scope, roots);
  try {
    const dir = opened.dir;
    if (!dir) throw new MeshError('NOT_A_DIRECTORY', `"${rel}" is a file, not a folder`);
    // Temp and part files are the mesh's own bookkeeping, never listed.
    const names = (await dir.readdir()).filter((n) => !isTransientName(n)).sort();
    const truncated = names.length > MAX_LIST_ENTRIES;
    const listed = names.slice(0, MAX_LIST_ENTRIES);
    const stats = await dir.lstatAll(listed);
    const entries = listed.map((name, i): Entry => {
      const st = stats[i];
      const type = !st ? 'other' : st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
      return { name, type, size: st?.isFile() ? st.size : 0, mtimeMs: Math.trunc(st?.mtimeMs ?? 0) };
    });
    return { entries, truncated };
  } finally {
    closeAfterAnswer(opened);
  }
}

export async function readRange(
  root: string,
  rel: string,
  offset = 0,
  length = DEFAULT_READ_BYTES,
  scope?: LinkScope,
  roots?: RootHandles,
): Promise<{ data: Buffer; size: number; offset: number }> {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new MeshError('INVALID_ARGUMENT', `offset must be a non-negative integer (got ${offset})`);
  if (!Number.isSafeInteger(length) || length < 0) throw new MeshError('INVALID_ARGUMENT', `length must be a non-negative integer (got ${length})`);
  if (length > MAX_READ_BYTES) throw new MeshError('TOO_LARGE', `length ${length} exceeds the ${MAX_READ_BYTES}-byte read limit`);
  const want = length || DEFAULT_READ_BYTES;
  const opened = await openExistingInside(root, rel, scope, roots);
  try {
    const handle = opened.file;
    if (!handle) throw new MeshError('NOT_A_FILE', `"${rel}" is a folder; list it instead`);
    const size = opened.stat.size;
    const start = Math.min(offset, size);
    const buf = Buffer.alloc(Math.min(want, size - start));
    const done = await readUpTo(handle, buf, start);
    return { data: buf.subarray(0, done), size, offset: start };
  } finally {
    closeAfterAnswer(opened);
  }
}
