// Compares one folder of a session copy with the node's index and says what
// changed: files added or changed (hashed now), files removed, and the
// sub-folders present. A file whose size, mtime and inode match its index row
// is not read. Links and special files are skipped (never followed), and so
// are files still being written (`isTransientName`).
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { toMeshError } from '../../errors.js';
import { hashFile } from '../fs/hash.js';
import { isTransientName } from '../fs/manifest.js';
import type { CopyChange, CopyIndex } from './copy-index.js';
import type { ScanPacer } from './scan-pacer.js';

type Added = Extract<CopyChange, { removed?: false }>;

export interface FolderScan {
  changes: CopyChange[];
  /** Same content, new size/mtime/inode record (a touch, a copy over with the same bytes). */
  restat: Added[];
  /** Sub-folders present now (relative paths). */
  folders: string[];
  /** Files that changed while being hashed: scan this folder again shortly. */
  unsettled: boolean;
}

export interface FolderScanOptions {
  root: string;
  session: string;
  index: CopyIndex;
  /** Folder relative to the session root, POSIX ('' for the root). */
  rel: string;
  pacer?: ScanPacer;
  /** Computes a file's hash; default `hashFile` (the mesh's file hash). */
  hasher?: (file: string) => Promise<string>;
}

/** Files looked at (lstat, hash) at the same time within a folder. */
const LOOKS_AT_ONCE = 4;

const joinRel = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
const absOf = (root: string, rel: string) => (rel === '' ? root : path.join(root, ...rel.split('/')));

async function lstatOrNone(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw toMeshError(err);
  }
}

export async function scanFolder(options: FolderScanOptions): Promise<FolderScan> {
  const { root, session, index, rel } = options;
  const hasher = options.hasher ?? hashFile;
  const result: FolderScan = { changes: [], restat: [], folders: [], unsettled: false };
  const absDir = absOf(root, rel);
  let dirents: Dirent[];
  try {
    dirents = await readdir(absDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw toMeshError(err);
    dirents = []; // the folder is gone: everything indexed in it was removed
  }
  const indexed = new Map((await index.filesIn(session, rel)).map((f) => [f.path, f]));
  const candidates: string[] = [];
  for (const d of dirents) {
    const relPath = joinRel(rel, d.name);
    if (d.isDirectory()) result.folders.push(relPath);
    else if (d.isFile() && !isTransientName(d.name)) candidates.push(relPath);
  }
  const look = async (relPath: string): Promise<void> => {
    const abs = absOf(root, relPath);
    const st = await lstatOrNone(abs);
    if (!st?.isFile()) return; // replaced since the listing; a later event or scan sees what is there
    const known = indexed.get(relPath);
    indexed.delete(relPath);
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino) return;
    let sha256: string;
    try {
      sha256 = await hasher(abs);
    } catch {
      result.unsettled = true; // gone or swapped for a link while being read
      return;
    }
    const after = await lstatOrNone(abs);
    if (!after || after.size !== st.size || after.mtimeMs !== st.mtimeMs || after.ino !== st.ino) {
      result.unsettled = true; // still being written: its final state comes with the next look
      return;
    }
    const entry: Added = { path: relPath, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
    if (known && known.sha256 === sha256 && known.size === st.size) result.restat.push(entry);
    else result.changes.push(entry);
  };
  // A few files at a time: each look is mostly waiting for the disk.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      await look(candidates[next++]);
      await options.pacer?.pace();
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKS_AT_ONCE, candidates.length) }, worker));
  // Indexed here but not listed as a regular file: removed, unless it is back by now.
  for (const gone of indexed.keys()) {
    const st = await lstatOrNone(absOf(root, gone));
    if (st?.isFile()) {
      result.unsettled = true; // it appeared after the listing (a delivery): look again
      continue;
    }
    result.changes.push({ path: gone, removed: true });
  }
  return result;
}

/** Removals for every indexed file in `folder` and below it (a folder that is gone). */
export async function removedFolder(index: CopyIndex, session: string, folder: string): Promise<CopyChange[]> {
  const changes: CopyChange[] = [];
  for (const dir of [folder, ...(await index.foldersUnder(session, folder))]) {
    for (const f of await index.filesIn(session, dir)) changes.push({ path: f.path, removed: true });
  }
  return changes;
}
