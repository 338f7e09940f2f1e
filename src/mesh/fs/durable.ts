// Durable file operations on paths the mesh owns outright (staging, the skills
// library's internals, a journal). "Durable" means: when the promise resolves,
// the data and the directory entry pointing at it survive a power cut (fsync
// of the file, then of the folder that names it). Session copies and the hub
// mirror, where others can plant links, are written through `safe-write.ts`.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-mode.js';

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
 * Created folders get `mode` (default 0700, owner only).
 */
export async function ensureDirDurable(dir: string, mode = PRIVATE_DIR_MODE): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode });
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

/** A unique hidden temporary name for an entry named `name`: `.<name>.<tag>-<hex12>`. */
export function tempNameFor(name: string, tag = 'tmp'): string {
  return `.${name}.${tag}-${randomBytes(6).toString('hex')}`;
}

/** True when `name` is exactly what `tempNameFor(<something>, tag)` makes: a temp entry the mesh owns. */
export function isTempName(name: string, tag = 'tmp'): boolean {
  const suffix = new RegExp(`\\.${tag}-[0-9a-f]{12}$`);
  return name.startsWith('.') && suffix.test(name) && name.length > tag.length + 15;
}

/** A unique temporary name in the same folder as `target` (same file system, so rename is atomic). */
export function tempPathFor(target: string, tag = 'tmp'): string {
  return path.join(path.dirname(target), tempNameFor(path.basename(target), tag));
}

/** Rename and fsync the destination folder (and the source folder when it differs). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
}

export interface WriteDurableOptions {
  /** File mode for a new file; default 0o600 (owner only). */
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
  const handle = await open(temp, 'wx', options.mode ?? PRIVATE_FILE_MODE);
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
