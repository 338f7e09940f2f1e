// Durable writes into a session copy or the hub mirror, through folder
// handles checked by `safe-open.ts`: missing parents are created one segment
// at a time, the temp file is created exclusively (never through a planted
// link), fsynced, renamed over the target through the same handle, and the
// folder fsynced: fsync(file) < rename < fsync(folder) < success. A link at
// the target is refused, never followed or replaced.
import { constants } from 'node:fs';
import { copyFile, link, lstat, open, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { MeshError, toMeshError } from '../../errors.js';
import { tempNameFor } from './durable.js';
import { isInside, linkError, normalizeSessionPath, relativeSegments, specialError } from './paths.js';
import { PRIVATE_FILE_MODE } from './private-mode.js';
import { errnoOf, type ContainedDir } from './safe-open.js';
import { openDirInside } from './safe-walk.js';

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** The parent folder of `rel` below `root`, missing folders created (0700), and the last segment. */
export async function openParentForWrite(root: string, rel: string): Promise<{ dir: ContainedDir; name: string }> {
  if (normalizeSessionPath(rel) === '.') {
    throw new MeshError('PATH_INVALID', 'cannot write to the session root itself; name a file', { rule: 'root' });
  }
  const segments = relativeSegments(rel);
  const dir = await openDirInside(root, segments.slice(0, -1), { create: true, want: rel });
  return { dir, name: segments[segments.length - 1]! };
}

/**
 * Refuse a write target that is there and is not a regular file: a link
 * (rule `link`, wherever it points: links in a session are placed there on
 * purpose, promoted skills), a folder (NOT_A_FILE), a special file.
 */
export async function checkWriteTarget(dir: ContainedDir, name: string, want = dir.relOf(name)): Promise<void> {
  const st = await lstat(dir.at(name)).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw toMeshError(err);
  });
  if (!st) return;
  if (st.isSymbolicLink()) {
    const target = await realpath(dir.at(name)).catch(() => undefined);
    const where = target !== undefined && isInside(dir.realRoot, target) ? 'inside' : 'outside';
    // Security: a planted link ("notes.txt -> ~/.ssh/authorized_keys") is refused outright.
    throw linkError(want, where === 'outside' ? 'is a link that leads outside the session root' : 'is a link; writes never replace or follow links', {
      target: where,
    });
  }
  if (st.isDirectory()) throw new MeshError('NOT_A_FILE', `path ${JSON.stringify(want)} is a folder`);
  if (!st.isFile()) throw specialError(want);
}

/** Remove entry `name` of `dir` (a missing one is fine); unlink never follows a link. */
export async function removeAt(dir: ContainedDir, name: string): Promise<void> {
  await unlink(dir.at(name)).catch((err: unknown) => {
    if (errnoOf(err) !== 'ENOENT') throw toMeshError(err);
  });
}

/** Rename entry `from` over `to` in `dir`, then fsync `dir`: durable when it resolves. */
export async function commitAt(dir: ContainedDir, from: string, to: string, want = dir.relOf(to)): Promise<void> {
  await checkWriteTarget(dir, to, want);
  // Refuse a folder moved out of the root since it was opened.
  await dir.located();
  // Security: rename replaces the entry itself and never follows a link
  // there; a link planted after the check above is replaced, not written through.
  await rename(dir.at(from), dir.at(to)).catch((err: unknown) => {
    throw toMeshError(err);
  });
  await dir.sync();
}

/** Write `data` as file `name` of `dir` durably (temp file, fsync, rename, fsync of the folder). */
export async function writeFileAt(
  dir: ContainedDir,
  name: string,
  data: Uint8Array | string,
  options: { mode?: number; want?: string } = {},
): Promise<void> {
  const want = options.want ?? dir.relOf(name);
  await checkWriteTarget(dir, name, want);
  const temp = tempNameFor(name);
  // Security: O_EXCL creates a new entry or fails; it never opens a link planted under the temp name.
  const handle = await open(dir.at(temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? PRIVATE_FILE_MODE).catch((err: unknown) => {
    throw toMeshError(err);
  });
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await removeAt(dir, temp).catch(() => {});
    throw toMeshError(err);
  }
  await handle.close();
  try {
    await commitAt(dir, temp, name, want);
  } catch (err) {
    await removeAt(dir, temp).catch(() => {});
    throw err;
  }
}

/** Write a whole file below `root` durably; parents are created (0700), the file is 0600. */
export async function writeFileInside(root: string, rel: string, data: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
  const { dir, name } = await openParentForWrite(root, rel);
  try {
    await writeFileAt(dir, name, data, { ...options, want: rel });
  } finally {
    await dir.close();
  }
}

/**
 * Put `source`, a file the mesh owns and never changes again (a push's
 * staged data), at `rel` below `root` durably without copying its bytes: a
 * hard link under a temp name (created exclusively, never through a planted
 * link), fsync, rename over the target, fsync of the folder. Across file
 * systems, a kernel copy instead of the link.
 */
export async function linkIntoPlace(root: string, rel: string, source: string): Promise<void> {
  const { dir, name } = await openParentForWrite(root, rel);
  const temp = tempNameFor(name);
  try {
    await checkWriteTarget(dir, name, rel);
    await link(source, dir.at(temp)).catch(async (err: unknown) => {
      if (errnoOf(err) !== 'EXDEV') throw err;
      await copyFile(source, dir.at(temp), constants.COPYFILE_EXCL);
    });
    const handle = await open(dir.at(temp), O_RDONLY | O_NOFOLLOW);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await commitAt(dir, temp, name, rel);
  } catch (err) {
    await removeAt(dir, temp).catch(() => {});
    throw toMeshError(err);
  } finally {
    await dir.close();
  }
}

/**
 * Open file `name` of `dir` read-only without following a link; undefined
 * when it is missing or not a regular file. Non-blocking, so a FIFO planted
 * there cannot hang the open.
 */
export async function openRegularAt(dir: ContainedDir, name: string): Promise<FileHandle | undefined> {
  const handle = await open(dir.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  if ((await handle.stat()).isFile()) return handle;
  await handle.close();
  return undefined;
}

/**
 * Open file `name` of `dir` for reading and writing, creating it (0600) when
 * missing: a file the mesh owns and resumes, such as a delivery's part file.
 * Anything else found under that name was planted and is removed through the
 * handle (never followed), then the file is created afresh, exclusively.
 */
export async function openOwnedFile(dir: ContainedDir, name: string): Promise<FileHandle> {
  const flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
  let handle = await open(dir.at(name), flags, PRIVATE_FILE_MODE).catch((err: unknown) => {
    // ELOOP: a link; ENXIO: a socket. Both are removed below.
    if (errnoOf(err) === 'ELOOP' || errnoOf(err) === 'ENXIO') return undefined;
    if (errnoOf(err) === 'EISDIR') throw specialError(dir.relOf(name));
    throw toMeshError(err);
  });
  if (handle) {
    const st = await handle.stat();
    // Security: a hard link to a file elsewhere (nlink > 1) would get that
    // file truncated and overwritten; a FIFO or device is no part file.
    if (st.isFile() && st.nlink === 1) return handle;
    await handle.close();
  }
  await removeAt(dir, name);
  handle = await open(dir.at(name), flags | O_EXCL, PRIVATE_FILE_MODE).catch((err: unknown) => {
    throw toMeshError(err);
  });
  return handle;
}

