// Node side of skill delivery: write the files the hub sent into the node's
// own skills library (verified against the content hash, same layout and
// lock as the hub's), then make each session path a link to it. Idempotent:
// a copy with the same hash is kept and only the links are ensured.
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { isSha256Hex } from '../fs/hash.js';
import { sealStaging, stageFromData, writeVersion } from './skill-commit.js';
import { currentPath, hashSkillCopy, readMetaAt } from './skill-library.js';
import type { KeptFolder } from './skill-keep.js';
import { linkSite } from './skill-link.js';
import { acquireSkillLock } from './skill-lock.js';
import {
  assertSkillName,
  DEFAULT_SKILL_LIMITS,
  parseSkillMd,
  SKILL_FILE,
  SKILL_META_FILE,
  skillContentHash,
  type SkillLimits,
  type SkillMeta,
} from './skill-manifest.js';
import { relativeSegments } from '../fs/paths.js';
import { ensureDirInside } from '../fs/safe-walk.js';

export interface InstallOptions {
  /** The node's library, e.g. `<workspace>/skills`. */
  libraryRoot: string;
  name: string;
  /** The hub's version number. */
  version: number;
  /** Content hash the files must have, see `skillContentHash`. */
  sha256: string;
  files: Array<{ path: string; data: Buffer; mode: number }>;
  /** Session paths (relative to each session root) to replace by a link to the copy. */
  links: Array<{ sessionRoot: string; path: string }>;
  promotedFrom?: string;
  /** ms; default 10,000. */
  lockStaleMs?: number;
  /** ms; default 60,000. */
  lockWaitMs?: number;
  limits?: Partial<SkillLimits>;
}

export interface InstallResult {
  status: 'installed' | 'unchanged';
  /** Absolute path of the current copy in the node's library. */
  libraryPath: string;
  previousVersionPath?: string;
  /** Absolute paths of the session entries that became links in this call. */
  linked: string[];
  /**
   * Session entries replaced by a link that held files the delivered copy
   * lacks (written on this node only, or changed here): kept under the
   * library's `.kept/`, never deleted.
   */
  kept: KeptFolder[];
}

/**
 * Check the delivered files without touching the disk: paths, limits, the
 * SKILL.md front matter and the content hash. Returns the files with their
 * normalized paths.
 */
export function checkDelivery(options: InstallOptions, limits: SkillLimits): InstallOptions['files'] {
  assertSkillName(options.name);
  if (!Number.isSafeInteger(options.version) || options.version < 1) {
    throw new MeshError('INVALID_ARGUMENT', `version must be a positive integer (got ${options.version})`, { field: 'version' });
  }
  if (!isSha256Hex(options.sha256)) throw new MeshError('INVALID_ARGUMENT', 'sha256 must be 64 lowercase hex digits', { field: 'sha256' });
  if (options.files.length > limits.maxFiles) {
    throw new MeshError('TOO_LARGE', `skill has more than ${limits.maxFiles} files`, { limit: limits.maxFiles });
  }
  const seen = new Set<string>();
  let bytes = 0;
  const files = options.files.map((file) => {
    // Security: paths come from the network; "..", absolute paths and NUL
    // bytes would write outside the library copy.
    const segments = relativeSegments(file.path, 'skill file path');
    if (segments.length > limits.maxDepth + 1) throw new MeshError('TOO_LARGE', `"${file.path}" is nested too deep`);
    const rel = segments.join('/');
    if (rel === SKILL_META_FILE) throw new MeshError('PATH_INVALID', `"${SKILL_META_FILE}" is reserved`, { rule: 'reserved' });
    if (seen.has(rel)) throw new MeshError('INVALID_ARGUMENT', `"${rel}" is sent twice`, { field: 'files' });
    seen.add(rel);
    bytes += file.data.length;
    if (bytes > limits.maxBytes) throw new MeshError('TOO_LARGE', `skill has more than ${limits.maxBytes} bytes`, { limit: limits.maxBytes });
    return { path: rel, data: file.data, mode: file.mode };
  });
  const skillMd = files.find((file) => file.path === SKILL_FILE);
  if (!skillMd) throw new MeshError('SKILL_INVALID', `no ${SKILL_FILE} among the delivered files`, { field: SKILL_FILE });
  parseSkillMd(skillMd.data.toString('utf8'), options.name);
  const sha256 = skillContentHash(
    files.map((f) => ({ path: f.path, executable: (f.mode & 0o111) !== 0, sha256: createHash('sha256').update(f.data).digest('hex') })),
  );
  if (sha256 !== options.sha256) {
    throw new MeshError('CHECKSUM_MISMATCH', `skill "${options.name}" hashes to ${sha256}, expected ${options.sha256}`);
  }
  return files;
}

export async function installSkill(options: InstallOptions): Promise<InstallResult> {
  const limits = { ...DEFAULT_SKILL_LIMITS, ...options.limits };
  const files = checkDelivery(options, limits);
  const sites: Array<{ realRoot: string; segments: string[] }> = [];
  for (const link of options.links) {
    const segments = relativeSegments(link.path, 'link path');
    const realRoot = await realpath(link.sessionRoot).catch(() => {
      throw new MeshError('NOT_FOUND', `session folder ${link.sessionRoot} does not exist`);
    });
    // Resolved (and parents created) only under the lock, below.
    sites.push({ realRoot, segments });
  }

  const { name } = options;
  const libraryPath = currentPath(options.libraryRoot, name);
  const lock = await acquireSkillLock(options.libraryRoot, name, { staleMs: options.lockStaleMs, waitMs: options.lockWaitMs });
  try {
    await lock.assertHeld();
    const current = await readMetaAt(libraryPath);
    const result: InstallResult = { status: 'unchanged', libraryPath, linked: [], kept: [] };
    if (current?.sha256 !== options.sha256) {
      const meta: SkillMeta = { name, version: options.version, sha256: options.sha256, at: new Date().toISOString() };
      if (options.promotedFrom !== undefined) meta.promotedFrom = options.promotedFrom;
      const previous = await writeVersion(options.libraryRoot, name, lock, async () => {}, async (staging) => {
        await stageFromData(staging, files);
        // Read back what reached the disk before it becomes the current copy.
        const written = await hashSkillCopy(staging, limits);
        if (written !== options.sha256) {
          throw new MeshError('CHECKSUM_MISMATCH', `skill "${name}" hashes to ${written} on disk, expected ${options.sha256}`);
        }
        await lock.assertHeld();
        await sealStaging(staging, meta);
      });
      result.status = 'installed';
      if (previous) result.previousVersionPath = previous;
    }
    for (const { realRoot, segments } of sites) {
      const parent = await ensureDirInside(realRoot, segments.slice(0, -1));
      const sitePath = path.join(parent, segments[segments.length - 1]!);
      const outcome = await linkSite({ libraryRoot: options.libraryRoot, name, sitePath, lock });
      if (outcome.linked) result.linked.push(sitePath);
      result.kept.push(...outcome.kept);
    }
    return result;
  } finally {
    await lock.release();
  }
}
