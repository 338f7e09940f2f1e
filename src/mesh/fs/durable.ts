// Durable file operations shared by the hub mirror, node agents and the skills
// library. "Durable" means: when the promise resolves, the data and the
// directory entry pointing at it survive a power cut (fsync of the file, then
// of the folder that names it). Success is never reported before that.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** fsync a folder so that entries created, renamed or removed in it are on disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync an existing file's data and metadata. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p` that fsyncs the parent of every folder it creates, so a new
 * folder's entry is durable before anything inside it is reported written.
 */
export async function ensureDirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return; // everything existed already
  // mkdir returns the first folder it created; fsync its parent and every
  // created folder down to `dir` (each one names the next).
  let current = path.dirname(first);
  const created = path.relative(current, dir).split(path.sep).filter(Boolean);
  await fsyncDir(current);
  for (const segment of created) {
    current = path.join(current, segment);
    await fsyncDir(current);
  }
}

/** A unique temporary name in the same folder as `target` (same file system, so rename is atomic). */
export function tempPathFor(target: string, tag = 'tmp'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${randomBytes(6).toString('hex')}`);
}

/** Rename and fsync the destination folder (and the source folder when it differs). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
}

export interface WriteDurableOptions {
  /** File mode for a new file; default 0o644. */
  mode?: number;
}

/**
 * Write a whole file durably: temp file in the same folder (exclusive create,
 * so it never follows a planted link), write, fsync, rename over the target,
 * fsync the folder. Missing parent folders are created durably.
 */
export async function writeFileDurable(
  target: string,
  data: Uint8Array | string,
  options: WriteDurableOptions = {},
): Promise<void> {
  await ensureDirDurable(path.dirname(target));
  const temp = tempPathFor(target);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await renameDurable(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Copy `file` next to `target` under a temp name, fsynced, and resolve to the
 * temp path; the caller renames it over `target` (renameDurable) when the
 * copy should become visible, or removes it.
 */
export async function copyToTempBeside(file: string, target: string): Promise<string> {
  await ensureDirDurable(path.dirname(target));
  const temp = tempPathFor(target);
  try {
    await copyFile(file, temp);
    await fsyncFile(temp);
    return temp;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
