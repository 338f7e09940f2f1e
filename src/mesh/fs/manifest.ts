// Manifests of a session copy (path -> size, mtime, SHA-256) and their diff,
// used to detect drift between a node's copy and the hub mirror.
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import { hashFile } from './hash.js';

export { hashFile } from './hash.js';

export interface ManifestEntry {
  /** POSIX path relative to the root, no leading './'. */
  path: string;
  /** Bytes. */
  size: number;
  mtimeMs: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
}

export interface HashCacheOptions {
  /** Computes a file's hex SHA-256; default `hashFile`. Injectable to count or slow down hashing. */
  hasher?: (file: string) => Promise<string>;
}

interface CachedHash {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * Remembers SHA-256 by (path, size, mtimeMs) so that a rescan hashes only the
 * files whose size or mtime changed. Owned by one scanner at a time: two
 * concurrent scans of different roots must not share a cache.
 */
export class HashCache {
  private readonly entries = new Map<string, CachedHash>();
  private readonly hasher: (file: string) => Promise<string>;
  /** Lookups answered from the cache. */
  hits = 0;
  /** Files hashed because the cache had no valid entry. */
  misses = 0;

  constructor(options: HashCacheOptions = {}) {
    this.hasher = options.hasher ?? hashFile;
  }

  /** Number of remembered paths. */
  get size(): number {
    return this.entries.size;
  }

  get(rel: string, size: number, mtimeMs: number): string | undefined {
    const e = this.entries.get(rel);
    return e && e.size === size && e.mtimeMs === mtimeMs ? e.sha256 : undefined;
  }

  set(rel: string, size: number, mtimeMs: number, sha256: string): void {
    this.entries.set(rel, { size, mtimeMs, sha256 });
  }

  delete(rel: string): void {
    this.entries.delete(rel);
  }

  /** Forget every path not in `keep` (files deleted since the last scan). */
  retain(keep: ReadonlySet<string>): void {
    for (const rel of this.entries.keys()) if (!keep.has(rel)) this.entries.delete(rel);
  }

  /**
   * The hash of `abs` (known as `rel`) whose lstat was `st`: from the cache,
   * or hashed now. A file that changes while being hashed is not cached, so
   * the next scan hashes it again.
   */
  async hashOf(abs: string, rel: string, st: Stats): Promise<string> {
    const cached = this.get(rel, st.size, st.mtimeMs);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const sha256 = await this.hasher(abs);
    const after = await lstat(abs).catch(() => undefined);
    if (after && after.size === st.size && after.mtimeMs === st.mtimeMs) this.set(rel, st.size, st.mtimeMs, sha256);
    else this.delete(rel);
    return sha256;
  }
}

// `tempPathFor` in durable.ts names temp files `.<name>.<tag>-<hex12>`.
const TRANSIENT_RE = /^\..+\.[A-Za-z0-9_-]+-[0-9a-f]{12,32}$/;

/** True for names of files still being written: durable-write temp files and `*.part` downloads. */
export function isTransientName(name: string): boolean {
  return name.endsWith('.part') || TRANSIENT_RE.test(name);
}

export interface ScanOptions {
  /** Return true to leave out a file or a whole folder; gets the POSIX relative path. */
  ignore?: (rel: string) => boolean;
  /** Files hashed at the same time; default 4. */
  concurrency?: number;
}

/** Regular files under `root` as [abs, rel] pairs; links and special files are skipped, never followed. */
async function listFiles(root: string, ignore: (rel: string) => boolean): Promise<Array<[string, string]>> {
  const files: Array<[string, string]> = [];
  const pending: string[] = [''];
  // Bounded: links are never followed, so each folder is visited once.
  while (pending.length > 0) {
    const relDir = pending.pop() as string;
    const absDir = relDir === '' ? root : path.join(root, ...relDir.split('/'));
    let dirents;
    try {
      dirents = await readdir(absDir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (relDir === '' && code === 'ENOENT') throw new MeshError('NOT_FOUND', `folder ${JSON.stringify(root)} does not exist`);
      if (relDir !== '' && (code === 'ENOENT' || code === 'ENOTDIR')) continue; // removed during the scan
      throw toMeshError(err);
    }
    for (const d of dirents) {
      const rel = relDir === '' ? d.name : `${relDir}/${d.name}`;
      if (ignore(rel)) continue;
      if (d.isDirectory()) pending.push(rel);
      else if (d.isFile() && !isTransientName(d.name)) files.push([path.join(absDir, d.name), rel]);
    }
  }
  return files;
}

/**
 * Walk `root` and return one entry per regular file, sorted by path (code
 * unit order). Links are skipped (not followed), as are transient files (see
 * `isTransientName`). Files that vanish during the scan are left out. Hashes
 * come from `cache` when size and mtime are unchanged; entries of deleted
 * files are dropped from it. A missing root is `NOT_FOUND`.
 */
export async function scanManifest(root: string, cache: HashCache, opts: ScanOptions = {}): Promise<ManifestEntry[]> {
  const files = await listFiles(root, opts.ignore ?? (() => false));
  const entries: ManifestEntry[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const [abs, rel] = files[next++];
      try {
        const st = await lstat(abs);
        if (!st.isFile()) continue; // replaced by a link or folder since the listing
        const sha256 = await cache.hashOf(abs, rel, st);
        entries.push({ path: rel, size: st.size, mtimeMs: st.mtimeMs, sha256 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw toMeshError(err);
      }
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? 4, files.length));
  await Promise.all(Array.from({ length: workers }, worker));
  cache.retain(new Set(entries.map((e) => e.path)));
  return entries.sort(byPath);
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export interface ManifestDiff {
  /** In the mirror, absent from the copy. */
  missing: ManifestEntry[];
  /** In both, with a different SHA-256 or size. */
  changed: Array<{ mirror: ManifestEntry; copy: ManifestEntry }>;
  /** In the copy, absent from the mirror. */
  extra: ManifestEntry[];
}

/** Compare a copy with the mirror by path, then SHA-256 and size (mtime is ignored). Results are sorted by path. */
export function diffManifests(mirror: readonly ManifestEntry[], copy: readonly ManifestEntry[]): ManifestDiff {
  const copyByPath = new Map(copy.map((e) => [e.path, e]));
  const mirrorPaths = new Set(mirror.map((e) => e.path));
  const missing: ManifestEntry[] = [];
  const changed: ManifestDiff['changed'] = [];
  for (const m of mirror) {
    const c = copyByPath.get(m.path);
    if (!c) missing.push(m);
    else if (c.sha256 !== m.sha256 || c.size !== m.size) changed.push({ mirror: m, copy: c });
  }
  const extra = copy.filter((c) => !mirrorPaths.has(c.path));
  missing.sort(byPath);
  extra.sort(byPath);
  changed.sort((a, b) => byPath(a.mirror, b.mirror));
  return { missing, changed, extra };
}
