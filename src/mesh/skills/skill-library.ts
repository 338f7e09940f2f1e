// Reading the skills library: its layout, the `.skill.json` of a copy, the
// check that a copy is complete, listing, and the files of a copy for
// delivery to nodes. Layout of a library:
//   <library>/<name>/                current version (files + .skill.json)
//   <library>/.versions/<name>/<n>/  earlier versions, same shape
//   <library>/.tmp-<name>-<hex>/     a copy being written (removed on recovery)
//   <library>/.locks/<name>.lock     per-name lock (see skill-lock.ts)
//   <library>/.journal/              links being set in sessions (see skill-link.ts)
//   <library>/.kept/<name>/<id>/     session folders replaced by a link that held data
//                                    the library copy lacks (see skill-keep.ts); never
//                                    listed, delivered or counted as versions
// Skill names never start with ".", so they never collide with these.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { hashFile, walkSkillTree } from './skill-files.js';
import {
  DEFAULT_SKILL_LIMITS,
  SKILL_FILE,
  SKILL_META_FILE,
  isValidSkillName,
  parseSkillMd,
  parseSkillMeta,
  skillContentHash,
  type SkillLimits,
  type SkillMeta,
} from './skill-manifest.js';

export const VERSIONS_DIR = '.versions';
export const TEMP_PREFIX = '.tmp-';
export const KEPT_DIR = '.kept';

export function currentPath(libraryRoot: string, name: string): string {
  return path.join(path.resolve(libraryRoot), name);
}

export function versionsPath(libraryRoot: string, name: string): string {
  return path.join(path.resolve(libraryRoot), VERSIONS_DIR, name);
}

export function versionPath(libraryRoot: string, name: string, version: number): string {
  return path.join(versionsPath(libraryRoot, name), String(version));
}

/** Folder of the kept session folders of `name`, see skill-keep.ts. */
export function keptPath(libraryRoot: string, name: string): string {
  return path.join(path.resolve(libraryRoot), KEPT_DIR, name);
}

/** Name of a temporary copy folder, or undefined when `entry` is not one. */
export function tempCopyName(entry: string): string | undefined {
  const match = /^\.tmp-(.+)-[0-9a-f]{12}$/.exec(entry);
  return match && isValidSkillName(match[1]) ? match[1] : undefined;
}

/** `.skill.json` of the copy in `dir`, or undefined when missing or malformed. */
export async function readMetaAt(dir: string): Promise<SkillMeta | undefined> {
  const text = await readFile(path.join(dir, SKILL_META_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseSkillMeta(text);
}

/** `.skill.json` of the current version of `name`; SKILL_NOT_FOUND when there is none. */
export async function readSkillMeta(libraryRoot: string, name: string): Promise<SkillMeta> {
  const meta = isValidSkillName(name) ? await readMetaAt(currentPath(libraryRoot, name)) : undefined;
  if (!meta) throw new MeshError('SKILL_NOT_FOUND', `no skill "${name}" in the library`, { name });
  return meta;
}

/** Content hash of the copy in `dir` (its `.skill.json` left out). */
export async function hashSkillCopy(dir: string, limits: SkillLimits = DEFAULT_SKILL_LIMITS): Promise<string> {
  const files = await walkSkillTree(dir, { limits });
  const digests = [];
  for (const file of files) {
    const { sha256 } = await hashFile(file.source, limits.maxBytes);
    digests.push({ path: file.path, executable: file.executable, sha256 });
  }
  return skillContentHash(digests);
}

/**
 * The meta of the copy in `dir` when the copy is complete: `.skill.json` is
 * there, names `expectedName`, and the files hash to its `sha256`.
 */
export async function verifySkillCopy(dir: string, expectedName: string): Promise<SkillMeta | undefined> {
  const meta = await readMetaAt(dir);
  if (!meta || meta.name !== expectedName) return undefined;
  try {
    return (await hashSkillCopy(dir)) === meta.sha256 ? meta : undefined;
  } catch {
    return undefined;
  }
}

/** Version numbers kept under `.versions/<name>`, ascending. */
export async function listVersions(libraryRoot: string, name: string): Promise<number[]> {
  const entries = await readdir(versionsPath(libraryRoot, name)).catch(() => [] as string[]);
  return entries
    .filter((e) => /^[1-9][0-9]*$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
}

export interface SkillSummary extends SkillMeta {
  description: string;
  /** Absolute path of the current copy. */
  path: string;
}

/**
 * Current skills of the library, by name; copies without a valid record are
 * skipped, and so is every dot folder (`.versions`, `.kept`, ...): a skill
 * name never starts with ".".
 */
export async function listSkills(libraryRoot: string): Promise<SkillSummary[]> {
  const entries = await readdir(path.resolve(libraryRoot), { withFileTypes: true }).catch(() => []);
  const skills: SkillSummary[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isDirectory() || !isValidSkillName(entry.name)) continue;
    const dir = currentPath(libraryRoot, entry.name);
    const meta = await readMetaAt(dir);
    if (!meta || meta.name !== entry.name) continue;
    const text = await readFile(path.join(dir, SKILL_FILE), 'utf8').catch(() => undefined);
    let description = '';
    try {
      if (text !== undefined) description = parseSkillMd(text, entry.name).description;
    } catch {
      // A copy passed validation when promoted; keep listing it regardless.
    }
    skills.push({ ...meta, description, path: dir });
  }
  return skills;
}

export interface SkillFile {
  /** Relative, "/" separators. */
  path: string;
  data: Buffer;
  /** 0o755 for executables, 0o644 otherwise. */
  mode: number;
}

/**
 * The files of a library copy (`.skill.json` left out), for delivery to
 * nodes. Bounded by the skill limits; a copy holding links is refused.
 */
export async function readSkillFiles(dir: string, limits: SkillLimits = DEFAULT_SKILL_LIMITS): Promise<SkillFile[]> {
  const files = await walkSkillTree(dir, { limits });
  const out: SkillFile[] = [];
  for (const file of files) {
    out.push({ path: file.path, data: await readFile(file.source), mode: file.executable ? 0o755 : 0o644 });
  }
  return out;
}

/**
 * The current copy of `name` for delivery: its record and files, refused
 * with CHECKSUM_MISMATCH when the files no longer hash to the recorded
 * sha256 (the library must never hand out bytes it did not promote).
 */
export async function readVerifiedCopy(libraryRoot: string, name: string): Promise<{ meta: SkillMeta; files: SkillFile[] }> {
  const meta = await readSkillMeta(libraryRoot, name);
  const files = await readSkillFiles(currentPath(libraryRoot, name));
  const sha256 = skillContentHash(
    files.map((f) => ({ path: f.path, executable: (f.mode & 0o111) !== 0, sha256: createHash('sha256').update(f.data).digest('hex') })),
  );
  if (sha256 !== meta.sha256) {
    throw new MeshError('CHECKSUM_MISMATCH', `the library copy of "${name}" hashes to ${sha256}, not to its recorded ${meta.sha256}; it is not delivered`, {
      name,
      version: meta.version,
    });
  }
  return { meta, files };
}
