// The pure rules that decide whether a set-aside session folder may be
// removed: a folder is removable only when the library copy holds each of
// its files byte for byte, whatever else either side holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffAside, isMeshTempName, keptFolderName, type AsideEntry, type LibraryFileDigest } from '../../../src/mesh/skills/skill-aside-rules.js';

const segment = fc.stringMatching(/^[a-z]{1,3}$/);
const relPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const digest = fc.constantFrom('a', 'b', 'c').map((c) => c.repeat(64));

/** A library (path -> digest) and an aside drawn partly from it, partly changed, partly new. */
const scenario = fc
  .tuple(
    fc.dictionary(relPath, fc.record({ size: fc.nat(3), sha256: digest })),
    fc.array(
      fc.record({
        path: relPath,
        kind: fc.constantFrom<AsideEntry['kind']>('file', 'file', 'file', 'link', 'special'),
        size: fc.nat(3),
        sha256: fc.option(digest, { nil: undefined }),
      }),
      { maxLength: 8 },
    ),
    fc.array(fc.nat(), { maxLength: 8 }),
  )
  .map(([lib, extra, copies]) => {
    const library = new Map<string, LibraryFileDigest>(Object.entries(lib));
    const keys = [...library.keys()];
    // Exact copies of library files, so that identical asides are common.
    const same: AsideEntry[] = keys.length ? copies.map((n) => ({ path: keys[n % keys.length]!, kind: 'file' as const, ...library.get(keys[n % keys.length]!)! })) : [];
    return { library, aside: [...same, ...extra] };
  });

describe('diffAside', () => {
  it('reports nothing exactly when every aside file is in the library with the same bytes', () => {
    fc.assert(
      fc.property(scenario, ({ library, aside }) => {
        const diff = diffAside(aside, library);
        const losesNothing = aside.every((e) => {
          const lib = library.get(e.path);
          return e.kind === 'file' && lib !== undefined && e.size === lib.size && e.sha256 !== undefined && e.sha256 === lib.sha256;
        });
        expect(diff.changed.length + diff.added.length === 0).toBe(losesNothing);
        // Every reported path is an aside path; changed ones exist in the library, added ones do not.
        const paths = new Set(aside.map((e) => e.path));
        for (const p of diff.changed) expect(paths.has(p) && library.has(p)).toBe(true);
        for (const p of diff.added) expect(paths.has(p) && !library.has(p)).toBe(true);
        expect(diff.changed).toEqual([...new Set(diff.changed)].sort());
        expect(diff.added).toEqual([...new Set(diff.added)].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('treats files only the library has as no loss', () => {
    const library = new Map([
      ['SKILL.md', { size: 3, sha256: 'a'.repeat(64) }],
      ['new.txt', { size: 1, sha256: 'b'.repeat(64) }],
    ]);
    expect(diffAside([{ path: 'SKILL.md', kind: 'file', size: 3, sha256: 'a'.repeat(64) }], library)).toEqual({ changed: [], added: [] });
  });

  it('never takes a link or special file for the library file of the same path', () => {
    const library = new Map([['x', { size: 0, sha256: 'a'.repeat(64) }]]);
    expect(diffAside([{ path: 'x', kind: 'link', size: 0, sha256: 'a'.repeat(64) }], library).changed).toEqual(['x']);
    expect(diffAside([{ path: 'x', kind: 'special', size: 0 }], library).changed).toEqual(['x']);
  });

  it('ignores only the mesh temp and part names', () => {
    const aside: AsideEntry[] = [
      { path: 'docs/.a.md.tmp-0123456789ab', kind: 'file', size: 1 },
      { path: '.big.bin.part-0123456789abcdef', kind: 'file', size: 1 },
      { path: 'notes.tmp', kind: 'file', size: 1 },
    ];
    expect(diffAside(aside, new Map())).toEqual({ changed: [], added: ['notes.tmp'] });
  });
});

describe('isMeshTempName', () => {
  it('recognizes the names durable writes and deliveries use, and no user name without their exact shape', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[^/\0]{1,20}$/), fc.stringMatching(/^[0-9a-f]{12}$/), fc.stringMatching(/^[0-9a-f]{16}$/), (base, hex12, hex16) => {
        expect(isMeshTempName(`.${base}.tmp-${hex12}`)).toBe(true);
        expect(isMeshTempName(`.${base}.part-${hex16}`)).toBe(true);
        // Without the leading dot, or with a different tag or suffix, it is user data.
        expect(isMeshTempName(`${base.replace(/^\.+/, '') || 'x'}.tmp-${hex12}`)).toBe(false);
        expect(isMeshTempName(`.${base}.orig-${hex12}`)).toBe(false);
        expect(isMeshTempName(`.${base}.tmp-${hex12}x`)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('keptFolderName', () => {
  it('is never a version number and differs per site, time and random part', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }), fc.stringMatching(/^[0-9a-f]{6}$/), (site, at, hex) => {
        const name = keptFolderName(site, at, hex);
        expect(name).toMatch(/^[0-9a-f]{12}-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
        expect(/^[1-9][0-9]*$/.test(name)).toBe(false);
        expect(keptFolderName(`${site}x`, at, hex)).not.toBe(name);
      }),
      { numRuns: 200 },
    );
  });
});
