// The part-file sweep a node runs when it attaches: only part files of
// transfers the hub no longer has go; the target files, part files of kept
// transfers, other hidden files and anything behind a link stay.
import fc from 'fast-check';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partNameFor } from '../../../src/mesh/node/deliverer.js';
import { partTransferId, sweepStaleParts } from '../../../src/mesh/node/part-sweep.js';
import { tempDir } from '../../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir('mesh-part-sweep-');
});
afterEach(async () => tmp.cleanup());

describe('partTransferId', () => {
  it('reads back the id of every part name a delivery makes, and nothing from other names', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((n) => !n.includes('/') && !n.includes('\0')), fc.stringMatching(/^[0-9a-f]{8,64}$/), (name, id) => {
        expect(partTransferId(partNameFor(name, id))).toBe(id);
        expect(partTransferId(name.startsWith('.') ? name.slice(1) : name)).toBeUndefined();
      }),
    );
    expect(partTransferId('.a.tmp-0123456789ab')).toBeUndefined();
    expect(partTransferId('.a.part-XYZ')).toBeUndefined();
  });
});

describe('sweepStaleParts', () => {
  it('removes only part files of transfers not kept, never through a link', async () => {
    const sessions = path.join(tmp.dir, 'sessions');
    const outside = path.join(tmp.dir, 'outside');
    await mkdir(path.join(sessions, 's', 'd'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, partNameFor('x', 'aaaaaaaa11111111')), 'not ours');
    await symlink(outside, path.join(sessions, 's', 'linked'));
    await writeFile(path.join(sessions, 's', 'd', 'f.bin'), 'target');
    await writeFile(path.join(sessions, 's', 'd', partNameFor('f.bin', 'aaaaaaaa11111111')), 'stale');
    await writeFile(path.join(sessions, 's', 'd', partNameFor('g.bin', 'bbbbbbbb22222222')), 'kept');
    await writeFile(path.join(sessions, 's', '.hidden'), 'user file');
    const removed = await sweepStaleParts(sessions, (id) => id === 'bbbbbbbb22222222');
    expect(removed).toEqual([path.join('s', 'd', '.f.bin.part-aaaaaaaa11111111')]);
    expect((await readdir(path.join(sessions, 's', 'd'))).sort()).toEqual(['.g.bin.part-bbbbbbbb22222222', 'f.bin']);
    expect((await readdir(path.join(sessions, 's'))).sort()).toEqual(['.hidden', 'd', 'linked']);
    expect(await readdir(outside)).toEqual(['.x.part-aaaaaaaa11111111']);
  });
});
