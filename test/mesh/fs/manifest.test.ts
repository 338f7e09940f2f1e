// Manifest scans on a real folder (what is listed, what is skipped, which
// files are rehashed) and the pure manifest diff.
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { tempPathFor } from '../../../src/mesh/fs/durable.js';
import { contentHashOf } from '../../../src/mesh/fs/content-hash.js';
import {
  HashCache,
  type ManifestEntry,
  diffManifests,
  hashFile,
  isTransientName,
  scanManifest,
} from '../../../src/mesh/fs/manifest.js';

let root: string;

/** A cache whose hasher records every file it actually hashes. */
function countingCache(): { cache: HashCache; hashed: string[] } {
  const hashed: string[] = [];
  const cache = new HashCache({
    hasher: async (file) => {
      hashed.push(path.relative(root, file).split(path.sep).join('/'));
      return hashFile(file);
    },
  });
  return { cache, hashed };
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mesh-manifest-'));
  await mkdir(path.join(root, 'docs', 'deep'), { recursive: true });
  await mkdir(path.join(root, 'empty'));
  await writeFile(path.join(root, 'b.txt'), 'bee');
  await writeFile(path.join(root, 'a.txt'), 'ay');
  await writeFile(path.join(root, 'docs', 'readme.md'), '# readme\n');
  await writeFile(path.join(root, 'docs', 'deep', '日本.txt'), 'unicode');
  await writeFile(path.join(root, '.hidden'), 'kept: only temp names are skipped');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hashFile', () => {
  it('streams the SHA-256 of a file, including an empty one and a multi-chunk one', async () => {
    const big = Buffer.alloc(300 * 1024, 7);
    await writeFile(path.join(root, 'big.bin'), big);
    await writeFile(path.join(root, 'zero'), '');
    expect(await hashFile(path.join(root, 'big.bin'))).toBe(contentHashOf(big));
    expect(await hashFile(path.join(root, 'zero'))).toBe(contentHashOf(''));
  });
});

describe('scanManifest', () => {
  it('lists regular files with size and SHA-256, sorted by POSIX path', async () => {
    const entries = await scanManifest(root, new HashCache());
    expect(entries.map((e) => e.path)).toEqual(['.hidden', 'a.txt', 'b.txt', 'docs/deep/日本.txt', 'docs/readme.md']);
    const a = entries.find((e) => e.path === 'a.txt') as ManifestEntry;
    expect(a.size).toBe(2);
    expect(a.sha256).toBe(contentHashOf('ay'));
    expect(a.mtimeMs).toBeGreaterThan(0);
  });

  it('skips links, durable-write temp files, *.part files and ignored paths', async () => {
    await symlink('a.txt', path.join(root, 'link.txt'));
    await symlink('/etc', path.join(root, 'etc-link'));
    await symlink('docs', path.join(root, 'docs-link'));
    await writeFile(tempPathFor(path.join(root, 'a.txt')), 'half written');
    await writeFile(tempPathFor(path.join(root, 'docs', 'readme.md'), 'stage'), 'half written');
    await writeFile(path.join(root, 'download.bin.part'), 'partial');
    await mkdir(path.join(root, 'node_modules'));
    await writeFile(path.join(root, 'node_modules', 'x.js'), 'x');
    const entries = await scanManifest(root, new HashCache(), {
      ignore: (rel) => rel === 'node_modules' || rel.endsWith('.md'),
    });
    expect(entries.map((e) => e.path)).toEqual(['.hidden', 'a.txt', 'b.txt', 'docs/deep/日本.txt']);
  });

  it('recognizes transient names', () => {
    expect(isTransientName(path.basename(tempPathFor('/x/file.txt')))).toBe(true);
    expect(isTransientName('.file.txt.tmp-0123456789ab')).toBe(true);
    expect(isTransientName('x.part')).toBe(true);
    expect(isTransientName('.file.txt.tmp-0123')).toBe(false);
    expect(isTransientName('file.txt.tmp-0123456789ab')).toBe(false);
    expect(isTransientName('.hidden')).toBe(false);
  });

  it('rehashes only the file that changed, and forgets deleted files', async () => {
    const { cache, hashed } = countingCache();
    const first = await scanManifest(root, cache);
    expect(hashed.sort()).toEqual(first.map((e) => e.path).sort());
    expect(cache.misses).toBe(5);

    hashed.length = 0;
    const second = await scanManifest(root, cache);
    expect(hashed).toEqual([]);
    expect(cache.hits).toBe(5);
    expect(second).toEqual(first);

    // Same size, new content: the mtime change alone must trigger a rehash.
    await writeFile(path.join(root, 'b.txt'), 'BEE');
    const later = new Date(Date.now() + 5_000);
    await utimes(path.join(root, 'b.txt'), later, later);
    const third = await scanManifest(root, cache);
    expect(hashed).toEqual(['b.txt']);
    expect(third.find((e) => e.path === 'b.txt')?.sha256).toBe(contentHashOf('BEE'));

    hashed.length = 0;
    await rm(path.join(root, 'a.txt'));
    await writeFile(path.join(root, 'c.txt'), 'sea');
    const fourth = await scanManifest(root, cache);
    expect(hashed).toEqual(['c.txt']);
    expect(fourth.map((e) => e.path)).toContain('c.txt');
    expect(cache.size).toBe(5);
    expect(cache.get('a.txt', 2, first[1].mtimeMs)).toBeUndefined();
  });

  it('returns an empty manifest for an empty folder and NOT_FOUND for a missing one', async () => {
    const empty = path.join(root, 'empty');
    expect(await scanManifest(empty, new HashCache())).toEqual([]);
    const err = await scanManifest(path.join(root, 'missing'), new HashCache()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).code).toBe('NOT_FOUND');
  });

  it('hashes a few hundred files with bounded concurrency', async () => {
    let running = 0;
    let peak = 0;
    const cache = new HashCache({
      hasher: async (file) => {
        running++;
        peak = Math.max(peak, running);
        try {
          return await hashFile(file);
        } finally {
          running--;
        }
      },
    });
    await mkdir(path.join(root, 'many'));
    await Promise.all(Array.from({ length: 300 }, (_, i) => writeFile(path.join(root, 'many', `f${i}.txt`), `n${i}`)));
    const entries = await scanManifest(root, cache, { concurrency: 3 });
    expect(entries).toHaveLength(305);
    expect(peak).toBeLessThanOrEqual(3);
    expect(entries.find((e) => e.path === 'many/f42.txt')?.sha256).toBe(contentHashOf('n42'));
  });
});

describe('diffManifests', () => {
  const e = (p: string, content: string, mtimeMs = 1): ManifestEntry => ({
    path: p,
    size: Buffer.byteLength(content),
    mtimeMs,
    sha256: contentHashOf(content),
  });

  it('finds nothing between equal manifests, whatever the mtimes', () => {
    const d = diffManifests([e('a', 'x'), e('b', 'y')], [e('b', 'y', 99), e('a', 'x', 42)]);
    expect(d).toEqual({ missing: [], changed: [], extra: [] });
  });

  it('sorts out missing, changed and extra files', () => {
    const mirror = [e('z/missing', 'm'), e('same', 's'), e('changed', 'new'), e('a/missing', 'm')];
    const copy = [e('same', 's'), e('changed', 'old'), e('extra', 'x')];
    const d = diffManifests(mirror, copy);
    expect(d.missing.map((x) => x.path)).toEqual(['a/missing', 'z/missing']);
    expect(d.changed).toEqual([{ mirror: e('changed', 'new'), copy: e('changed', 'old') }]);
    expect(d.extra.map((x) => x.path)).toEqual(['extra']);
  });

  it('treats a size mismatch as a change even with the same hash', () => {
    const m = e('f', 'abc');
    const d = diffManifests([m], [{ ...m, size: 4 }]);
    expect(d.changed).toHaveLength(1);
  });

  it('handles empty sides', () => {
    expect(diffManifests([], [e('a', 'x')]).extra).toHaveLength(1);
    expect(diffManifests([e('a', 'x')], []).missing).toHaveLength(1);
  });
});
