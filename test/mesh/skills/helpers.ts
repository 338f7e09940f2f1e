// Fixtures shared by the skills tests: temporary folders, skill folders on
// disk, byte-exact tree snapshots, and the library / session invariants that
// every test checks after promotions, crashes and recovery.
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { currentPath, hashSkillCopy, listVersions, readMetaAt, verifySkillCopy, versionPath } from '../../../src/mesh/skills/skill-library.js';
import { isValidSkillName, type SkillMeta } from '../../../src/mesh/skills/skill-manifest.js';
import { MeshError } from '../../../src/errors.js';

export async function makeTemp(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), `mesh-skills-${tag}-`)));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function skillMd(name: string, description = `Does ${name} things.`): string {
  return `---\nname: ${name}\ndescription: ${JSON.stringify(description)}\n---\n\n# ${name}\n\nBody text.\n`;
}

/** Write a skill folder at `<sessionRoot>/skills/<name>` (or `rel`) and return its relative path. */
export async function writeSkill(
  sessionRoot: string,
  name: string,
  files: Record<string, string> = {},
  options: { rel?: string; skillMd?: string } = {},
): Promise<string> {
  const rel = options.rel ?? `skills/${name}`;
  const dir = path.join(sessionRoot, rel);
  await mkdir(dir, { recursive: true });
  const all = { 'SKILL.md': options.skillMd ?? skillMd(name), ...files };
  for (const [file, content] of Object.entries(all)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return rel;
}

/** Every entry below `root` with type, mode, content hash or link target; sorted, one line each. */
export async function snapshotTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const abs = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const info = await lstat(abs);
      if (info.isSymbolicLink()) lines.push(`L ${rel} -> ${await readlink(abs)}`);
      else if (info.isDirectory()) {
        lines.push(`D ${rel} ${(info.mode & 0o777).toString(8)}`);
        await walk(abs, rel);
      } else if (info.isFile()) {
        const sha = createHash('sha256').update(await readFile(abs)).digest('hex');
        lines.push(`F ${rel} ${(info.mode & 0o777).toString(8)} ${sha}`);
      } else lines.push(`S ${rel}`);
    }
  }
  await walk(root, '');
  return lines;
}

export interface LibraryState {
  current: SkillMeta;
  versions: number[];
}

/**
 * The library holds exactly one complete current version of `name`, every
 * kept version is complete and numbered below it, and nothing temporary is
 * left (no `.tmp-*` copies, no journal entries).
 */
export async function expectLibraryConsistent(libraryRoot: string, name: string): Promise<LibraryState> {
  const entries = await readdir(libraryRoot);
  expect(entries.filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  expect(await readdir(path.join(libraryRoot, '.journal')).catch(() => [])).toEqual([]);
  const current = await verifySkillCopy(currentPath(libraryRoot, name), name);
  expect(current, `current copy of ${name} is complete`).toBeDefined();
  const versions = await listVersions(libraryRoot, name);
  for (const version of versions) {
    const meta = await verifySkillCopy(versionPath(libraryRoot, name, version), name);
    expect(meta?.version, `version ${version} is complete`).toBe(version);
    expect(version).toBeLessThan(current!.version);
  }
  return { current: current!, versions };
}

export type SiteState = { kind: 'folder'; snapshot: string[] } | { kind: 'link' };

/**
 * The session path is either a folder (returned with its snapshot) or a
 * working link to the library's current copy, and no aside or prepared link
 * is left next to it.
 */
export async function expectSiteConsistent(sitePath: string, libraryRoot: string, name: string): Promise<SiteState> {
  const base = path.basename(sitePath);
  const siblings = await readdir(path.dirname(sitePath));
  expect(siblings.filter((e) => e.startsWith(`.${base}.orig-`) || e.startsWith(`.${base}.link-`))).toEqual([]);
  const info = await lstat(sitePath);
  if (info.isSymbolicLink()) {
    expect(await realpath(sitePath)).toBe(await realpath(currentPath(libraryRoot, name)));
    return { kind: 'link' };
  }
  expect(info.isDirectory()).toBe(true);
  return { kind: 'folder', snapshot: await snapshotTree(sitePath) };
}

/** The MeshError a promise is refused with; fails the test if it resolves. */
export async function refusal(p: Promise<unknown>): Promise<MeshError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return err as MeshError;
  }
  throw new Error('expected a refusal');
}

/**
 * Every copy in the library (current and kept versions of every name) holds
 * exactly the bytes its `.skill.json` records: its content hash, recomputed
 * from disk, equals the recorded sha256. Returns the current records by name.
 */
export async function expectRecordedHashes(libraryRoot: string): Promise<Map<string, SkillMeta>> {
  const current = new Map<string, SkillMeta>();
  for (const name of (await readdir(libraryRoot).catch(() => [] as string[])).filter(isValidSkillName)) {
    const dirs = [currentPath(libraryRoot, name), ...(await listVersions(libraryRoot, name)).map((v) => versionPath(libraryRoot, name, v))];
    for (const dir of dirs) {
      const meta = await readMetaAt(dir);
      expect(meta, `${dir} has a record`).toBeDefined();
      expect(await hashSkillCopy(dir), `${dir} hashes to its recorded sha256`).toBe(meta!.sha256);
      if (dir === currentPath(libraryRoot, name)) current.set(name, meta!);
    }
  }
  return current;
}

/** Folders kept under `<library>/.kept/<name>/`, absolute paths. */
export async function keptFolders(libraryRoot: string, name: string): Promise<string[]> {
  const dir = path.join(libraryRoot, '.kept', name);
  return (await readdir(dir).catch(() => [] as string[])).sort().map((e) => path.join(dir, e));
}
