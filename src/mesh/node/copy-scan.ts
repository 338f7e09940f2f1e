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
  for (const d of dirents) {
    const relPath = joinRel(rel, d.name);
    if (d.isDirectory()) {
      result.folders.push(relPath);
      continue;
    }
    if (!d.isFile() || isTransientName(d.name)) continue;
    const abs = path.join(absDir, d.name);
    const st = await lstatOrNone(abs);
    if (!st?.isFile()) continue; // replaced since the listing; a later event or scan sees what is there
    const known = indexed.get(relPath);
    indexed.delete(relPath);
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino) continue;
    let sha256: string;
    try {
      sha256 = await hasher(abs);
    } catch {
      result.unsettled = true; // gone or swapped for a link while being read
      continue;
    }
    const after = await lstatOrNone(abs);
    if (!after || after.size !== st.size || after.mtimeMs !== st.mtimeMs || after.ino !== st.ino) {
      result.unsettled = true; // still being written: its final state comes with the next look
      continue;
    }
    const entry: Added = { path: relPath, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
    if (known && known.sha256 === sha256 && known.size === st.size) result.restat.push(entry);
    else result.changes.push(entry);
    await options.pacer?.pace();
  }
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
