// Validation of a skill folder inside a session before it is promoted: path
// rules, SKILL.md front matter, links, special files and size limits, and the
// content hash of what was found. Read-only: a refused skill changes nothing.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { hashFile, walkSkillTree, type TreeFile } from './skill-files.js';
import {
  DEFAULT_SKILL_LIMITS,
  SKILL_FILE,
  parseSkillMd,
  skillContentHash,
  type SkillLimits,
} from './skill-manifest.js';
import { isInside, relativeSegments } from '../fs/paths.js';
import { checkHandleInside } from '../fs/safe-open.js';
import { realParentInside } from '../fs/safe-walk.js';

export interface HashedFile extends TreeFile {
  sha256: string;
}

/** The session path is already a link to the library copy of `name`. */
export interface LibraryLinkSource {
  kind: 'library-link';
  name: string;
  /** Absolute path of the link in the session (parent folders resolved). */
  sitePath: string;
  /** Identity of the session entry when scanned, see `siteIdentity`. */
  siteId: string;
}

/** A skill folder in the session, validated and hashed. */
export interface FolderSource {
  kind: 'folder';
  name: string;
  description: string;
  /** Absolute path of the folder entry in the session (parent folders resolved). */
  sitePath: string;
  /** Identity of the session entry when scanned, see `siteIdentity`. */
  siteId: string;
  files: HashedFile[];
  /** Content hash, see `skillContentHash`. */
  sha256: string;
  /** Bytes. */
  totalBytes: number;
}

export type SkillSource = LibraryLinkSource | FolderSource;

export interface ScanOptions {
  sessionRoot: string;
  /** Relative to `sessionRoot`, "/" separators. */
  skillPath: string;
  libraryRoot: string;
  limits?: Partial<SkillLimits>;
}

/** Validate the skill at `skillPath` in a session and hash its content. */
export async function scanSessionSkill(options: ScanOptions): Promise<SkillSource> {
  const limits = { ...DEFAULT_SKILL_LIMITS, ...options.limits };
  const segments = relativeSegments(options.skillPath, 'skillPath');
  const realRoot = await realOrNotFound(options.sessionRoot, 'session folder');
  const sitePath = await realParentInside(realRoot, segments);
  const name = segments[segments.length - 1]!;
  const info = await lstat(sitePath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new MeshError('NOT_FOUND', `no skill folder "${options.skillPath}" in the session`);
    throw err;
  });
  const siteId = identityOf(info);
  let folder = sitePath;
  if (info.isSymbolicLink()) {
    const real = await realOrNotFound(sitePath, `link target of "${options.skillPath}"`);
    const libraryCopy = await realpath(path.join(path.resolve(options.libraryRoot), name)).catch(() => undefined);
    if (libraryCopy !== undefined && real === libraryCopy) return { kind: 'library-link', name, sitePath, siteId };
    // Security: promoting through a link to elsewhere would publish foreign files.
    if (!isInside(realRoot, real)) {
      throw new MeshError('PATH_OUTSIDE_SESSION', `"${options.skillPath}" is a link that leads outside the session`, {
        rule: 'link',
      });
    }
    folder = real;
  }
  if (!(await lstat(folder)).isDirectory()) {
    throw new MeshError('NOT_A_DIRECTORY', `"${options.skillPath}" is not a folder; a skill is a folder with ${SKILL_FILE}`);
  }
  await lstat(path.join(folder, SKILL_FILE)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') {
      throw new MeshError('SKILL_INVALID', `no ${SKILL_FILE} in "${options.skillPath}"`, { field: SKILL_FILE });
    }
    throw err;
  });

  const tree = await walkSkillTree(folder, { limits, linkRoot: realRoot });
  const skillMd = tree.find((file) => file.path === SKILL_FILE);
  if (!skillMd) throw new MeshError('SKILL_INVALID', `${SKILL_FILE} in "${options.skillPath}" is not a file`, { field: SKILL_FILE });
  const text = await readSmall(skillMd.source, limits.maxBytes, realRoot);
  const { description } = parseSkillMd(text.toString('utf8'), name);

  const files: HashedFile[] = [];
  let totalBytes = 0;
  for (const file of tree) {
    const digest =
      file === skillMd ? { sha256: createHash('sha256').update(text).digest('hex'), size: text.length } : await hashFile(file.source, limits.maxBytes, realRoot);
    totalBytes += digest.size;
    if (totalBytes > limits.maxBytes) {
      throw new MeshError('TOO_LARGE', `skill folder has more than ${limits.maxBytes} bytes`, { limit: limits.maxBytes });
    }
    files.push({ ...file, size: digest.size, sha256: digest.sha256 });
  }
  return { kind: 'folder', name, description, sitePath, siteId, files, sha256: skillContentHash(files), totalBytes };
}

function identityOf(info: { dev: number; ino: number; mtimeMs: number }): string {
  return `${info.dev}:${info.ino}:${info.mtimeMs}`;
}

/**
 * Device, inode and modification time of the session entry (not followed):
 * when it differs from the scan's, the site was changed (for instance
 * linked by another promotion) before the lock was taken.
 */
export async function siteIdentity(sitePath: string): Promise<string | undefined> {
  return lstat(sitePath).then(identityOf, () => undefined);
}

async function realOrNotFound(p: string, what: string): Promise<string> {
  try {
    return await realpath(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MeshError('NOT_FOUND', `${what} does not exist`);
    throw err;
  }
}

/** Whole file (at most `maxBytes`), refusing a link swapped in after the walk, or a file now outside `inside`. */
async function readSmall(file: string, maxBytes: number, inside: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await checkHandleInside(handle, file, inside, SKILL_FILE);
    const { size } = await handle.stat();
    if (size > maxBytes) throw new MeshError('TOO_LARGE', `${SKILL_FILE} is larger than ${maxBytes} bytes`, { limit: maxBytes });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
