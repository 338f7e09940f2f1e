// Writing a new version into the skills library: stage a complete, fsynced
// copy in a temporary folder, then retire the current version to
// `.versions/<name>/<n>` and rename the staged copy into place. Shared by hub
// promotions and node installs; callers hold the skill's lock.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { ensureDirDurable, fsyncDir } from '../fs/durable.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../fs/private-mode.js';
import { copyFileHashed, skillFileMode, writeNewFileSynced } from './skill-files.js';
import { currentPath, listVersions, readMetaAt, TEMP_PREFIX, versionPath, versionsPath } from './skill-library.js';
import type { SkillLock } from './skill-lock.js';
import { SKILL_META_FILE, serializeSkillMeta, skillContentHash, type SkillMeta } from './skill-manifest.js';

/** A new, empty temporary folder inside the library for a copy of `name`. */
export async function createStaging(libraryRoot: string, name: string): Promise<string> {
  const root = path.resolve(libraryRoot);
  await ensureDirDurable(root);
  const dir = path.join(root, `${TEMP_PREFIX}${name}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: PRIVATE_DIR_MODE });
  return dir;
}

/** Create the parent folders of `rel` inside `dir`, remembering them for the final fsync. */
async function makeParents(dir: string, rel: string, made: Set<string>): Promise<string> {
  const segments = rel.split('/');
  let current = dir;
  for (const segment of segments.slice(0, -1)) {
    current = path.join(current, segment);
    if (!made.has(current)) {
      await mkdir(current, { mode: PRIVATE_DIR_MODE }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      made.add(current);
    }
  }
  return path.join(current, segments[segments.length - 1]!);
}

/** fsync every folder created in the staging copy, deepest first, then the copy itself. */
async function syncFolders(dir: string, made: Set<string>): Promise<void> {
  const folders = [...made].sort((a, b) => b.length - a.length);
  for (const folder of folders) await fsyncDir(folder);
  await fsyncDir(dir);
}

export interface SourceFileRef {
  path: string;
  source: string;
  executable: boolean;
  sha256: string;
  /** Real root the source must still be inside when it is copied (the session). */
  inside?: string;
}

/**
 * Copy session files into the staging folder, each fsynced. Every copied
 * file must hash as it did at validation; otherwise the skill changed under
 * us and the promotion is refused (SKILL_INVALID) rather than publishing a
 * mix of two states.
 */
export async function stageFromSource(dir: string, files: readonly SourceFileRef[], maxBytes: number): Promise<void> {
  const made = new Set<string>();
  for (const file of files) {
    const dest = await makeParents(dir, file.path, made);
    const sha256 = await copyFileHashed(file.source, dest, skillFileMode(file.executable), maxBytes, file.inside);
    if (sha256 !== file.sha256) {
      throw new MeshError('SKILL_INVALID', `"${file.path}" changed while the skill was being promoted; try again`, {
        path: file.path,
      });
    }
  }
  await syncFolders(dir, made);
}

/**
 * Write delivered files into the staging folder, each fsynced, and return
 * their content hash. Paths must already be validated (relative, no "..").
 */
export async function stageFromData(
  dir: string,
  files: ReadonlyArray<{ path: string; data: Uint8Array; mode: number }>,
): Promise<string> {
  const made = new Set<string>();
  const digests = [];
  for (const file of files) {
    const dest = await makeParents(dir, file.path, made);
    const executable = (file.mode & 0o111) !== 0;
    await writeNewFileSynced(dest, file.data, skillFileMode(executable));
    digests.push({ path: file.path, executable, sha256: createHash('sha256').update(file.data).digest('hex') });
  }
  await syncFolders(dir, made);
  return skillContentHash(digests);
}

/** Write `.skill.json` into the staging folder and fsync the folder: the copy is now complete. */
export async function sealStaging(dir: string, meta: SkillMeta): Promise<void> {
  await writeNewFileSynced(path.join(dir, SKILL_META_FILE), serializeSkillMeta(meta), PRIVATE_FILE_MODE);
  await fsyncDir(dir);
}

/** The version number after every version `name` has had in this library. */
export async function nextVersion(libraryRoot: string, name: string, current?: SkillMeta): Promise<number> {
  const kept = await listVersions(libraryRoot, name);
  return Math.max(current?.version ?? 0, kept[kept.length - 1] ?? 0) + 1;
}

/**
 * Move the current version of `name` (if any) to `.versions/<name>/<n>`.
 * Returns where it went. A current folder without a valid record is not a
 * version: it is moved to a temporary name and removed.
 */
export async function retireCurrent(libraryRoot: string, name: string): Promise<string | undefined> {
  const root = path.resolve(libraryRoot);
  const current = currentPath(root, name);
  if (!(await isDir(current))) return undefined;
  const meta = await readMetaAt(current);
  if (!meta) {
    await discard(root, name, current);
    return undefined;
  }
  const dest = versionPath(root, name, meta.version);
  await ensureDirDurable(versionsPath(root, name));
  // An entry under that number can only be left from an earlier crash; the
  // current folder is the authoritative copy of that version.
  if (await isDir(dest)) await discard(root, name, dest);
  await rename(current, dest);
  await fsyncDir(versionsPath(root, name));
  await fsyncDir(root);
  return dest;
}

/** Rename the sealed staging folder to `<library>/<name>` and make the rename durable. */
export async function installStaging(libraryRoot: string, name: string, staging: string): Promise<string> {
  const current = currentPath(libraryRoot, name);
  await rename(staging, current);
  await fsyncDir(path.dirname(current));
  return current;
}

/** Remove a folder of the library by renaming it to a temporary name first (recovery removes leftovers). */
export async function discard(libraryRoot: string, name: string, dir: string): Promise<void> {
  const trash = path.join(path.resolve(libraryRoot), `${TEMP_PREFIX}${name}-${randomBytes(6).toString('hex')}`);
  await rename(dir, trash);
  await fsyncDir(path.dirname(dir));
  await rm(trash, { recursive: true, force: true });
}

async function isDir(p: string): Promise<boolean> {
  return lstat(p).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/**
 * Stage a sealed copy with `fill`, retire the current version and rename the
 * copy into place. On failure the staging folder is removed and, while the
 * lock is still held, a retired version is put back. Returns where the
 * replaced version went.
 */
export async function writeVersion(
  libraryRoot: string,
  name: string,
  lock: SkillLock,
  hook: (step: 'retired') => Promise<void>,
  fill: (staging: string) => Promise<void>,
): Promise<string | undefined> {
  const staging = await createStaging(libraryRoot, name);
  let retired: string | undefined;
  try {
    await lock.assertHeld();
    await fill(staging);
    await lock.assertHeld();
    retired = await retireCurrent(libraryRoot, name);
    await hook('retired');
    await lock.assertHeld();
    await installStaging(libraryRoot, name, staging);
    return retired;
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    if (retired && (await lock.assertHeld().then(() => true, () => false))) {
      const current = currentPath(libraryRoot, name);
      await rename(retired, current)
        .then(() => fsyncDir(libraryRoot))
        .catch(() => {});
    }
    throw err;
  }
}
