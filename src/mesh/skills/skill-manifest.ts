// Pure rules for skills: the SKILL.md front matter, the name rule, the size
// limits, the content hash over a file list and the `.skill.json` record kept
// beside every library copy. No I/O here, so every rule can be property-tested.
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { MeshError } from '../../errors.js';
import { isSha256Hex } from '../fs/hash.js';

/** Lowercase letters and digits, single hyphens between them. */
export const SKILL_NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Characters. */
export const SKILL_NAME_MAX = 64;
/** Characters. */
export const SKILL_DESCRIPTION_MAX = 1024;
/** The record a library copy carries; never part of a skill's content. */
export const SKILL_META_FILE = '.skill.json';
export const SKILL_FILE = 'SKILL.md';

export interface SkillLimits {
  /** Total bytes of all files; default 16 MiB. */
  maxBytes: number;
  /** Number of files; default 1,000. */
  maxFiles: number;
  /** Folder nesting below the skill folder; default 32. */
  maxDepth: number;
}

export const DEFAULT_SKILL_LIMITS: SkillLimits = { maxBytes: 16 * 1024 * 1024, maxFiles: 1000, maxDepth: 32 };

export interface SkillFrontMatter {
  name: string;
  description: string;
}

/** One file of a skill as the content hash sees it; `path` uses "/" separators. */
export interface SkillFileDigest {
  path: string;
  executable: boolean;
  sha256: string;
}

/** What `.skill.json` holds. */
export interface SkillMeta {
  name: string;
  /** 1 for the first promotion of a name, +1 for each replacement. */
  version: number;
  /** Content hash, see `skillContentHash`. */
  sha256: string;
  /** Session the version was promoted from, when known. */
  promotedFrom?: string;
  /** ISO 8601 time of the promotion or installation. */
  at: string;
}

function invalid(field: string, message: string): MeshError {
  return new MeshError('SKILL_INVALID', `SKILL.md front matter: "${field}" ${message}`, { field });
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** Why `name` breaks the name rule, or undefined when it is a valid skill name. */
export function skillNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must be a non-empty string';
  if (name.length > SKILL_NAME_MAX) return `must be at most ${SKILL_NAME_MAX} characters (got ${name.length})`;
  if (!SKILL_NAME_PATTERN.test(name)) return `must be lowercase letters, digits and hyphens (got ${quote(name)})`;
  return undefined;
}

export function isValidSkillName(name: unknown): name is string {
  return skillNameProblem(name) === undefined;
}

/** Throws SKILL_INVALID naming the `name` field when the name is not valid. */
export function assertSkillName(name: unknown): asserts name is string {
  const problem = skillNameProblem(name);
  if (problem) throw new MeshError('SKILL_INVALID', `skill "name" ${problem}`, { field: 'name' });
}

/**
 * Split SKILL.md into its YAML front matter and body. The front matter is the
 * text between a first line `---` and the next line `---`.
 */
export function splitFrontMatter(text: string): { yaml: string; body: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trimEnd() !== '---') {
    throw new MeshError('SKILL_INVALID', 'SKILL.md has no front matter: the first line must be "---"', { field: 'front matter' });
  }
  const end = lines.findIndex((line, i) => i > 0 && line.trimEnd() === '---');
  if (end < 0) {
    throw new MeshError('SKILL_INVALID', 'SKILL.md front matter is not closed by a "---" line', { field: 'front matter' });
  }
  return { yaml: lines.slice(1, end).join('\n'), body: lines.slice(end + 1).join('\n') };
}

/**
 * Parse and validate SKILL.md. `folderName` is the name of the folder that
 * holds it: the skill's `name` must equal it, so a library path never
 * disagrees with the skill it holds.
 */
export function parseSkillMd(text: string, folderName: string): SkillFrontMatter {
  const { yaml } = splitFrontMatter(text);
  let data: unknown;
  try {
    // Security: the yaml package caps alias expansion (maxAliasCount), which
    // blocks "billion laughs" documents.
    data = parseYaml(yaml);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new MeshError('SKILL_INVALID', `SKILL.md front matter is not valid YAML: ${reason}`, { field: 'front matter' });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MeshError('SKILL_INVALID', 'SKILL.md front matter must be a YAML mapping with "name" and "description"', {
      field: 'front matter',
    });
  }
  const record = data as Record<string, unknown>;
  if (!('name' in record)) throw invalid('name', 'is missing');
  const nameProblem = skillNameProblem(record.name);
  if (nameProblem) throw invalid('name', nameProblem);
  const name = record.name as string;
  if (name !== folderName) throw invalid('name', `must equal the folder name ${quote(folderName)} (got ${quote(name)})`);
  if (!('description' in record)) throw invalid('description', 'is missing');
  const description = record.description;
  if (typeof description !== 'string') throw invalid('description', `must be a string (got ${quote(description)})`);
  if (description.trim().length === 0) throw invalid('description', 'must not be empty');
  if (description.length > SKILL_DESCRIPTION_MAX) {
    throw invalid('description', `must be at most ${SKILL_DESCRIPTION_MAX} characters (got ${description.length})`);
  }
  return { name, description };
}

/**
 * The content hash of a skill: SHA-256 over the list of (relative path,
 * executable bit, file SHA-256) sorted by path. Timestamps, owners and the
 * other mode bits do not count, so the same files hash the same everywhere.
 */
export function skillContentHash(files: readonly SkillFileDigest[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  for (const file of sorted) hash.update(`${file.path}\0${file.executable ? 'x' : '-'}\0${file.sha256}\n`);
  return hash.digest('hex');
}

/** Parse `.skill.json`; undefined when it is not a complete, well-formed record. */
export function parseSkillMeta(text: string): SkillMeta | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object') return undefined;
  const m = data as Record<string, unknown>;
  if (!isValidSkillName(m.name) || !Number.isSafeInteger(m.version) || (m.version as number) < 1) return undefined;
  if (!isSha256Hex(m.sha256) || typeof m.at !== 'string') return undefined;
  if (m.promotedFrom !== undefined && typeof m.promotedFrom !== 'string') return undefined;
  const meta: SkillMeta = { name: m.name, version: m.version as number, sha256: m.sha256, at: m.at };
  if (typeof m.promotedFrom === 'string') meta.promotedFrom = m.promotedFrom;
  return meta;
}

export function serializeSkillMeta(meta: SkillMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}
