// grep on a real folder: matches in walk order whatever file finishes first,
// `truncated` exactly when a match did not fit, binary files counted apart,
// and the scope given by path and glob.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grepFiles } from '../../../src/mesh/fs/grep-ops.js';

let root: string;
const FILES = 40;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mesh-grep-'));
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, `d${i % 4}`);
    await mkdir(dir, { recursive: true });
    // Bigger files first in walk order, so later ones finish first when read at once.
    const filler = 'filler line\n'.repeat((FILES - i) * 200);
    await writeFile(path.join(dir, `f${String(i).padStart(2, '0')}.txt`), `${filler}hit one\nmiss\nhit two\n`);
  }
  await writeFile(path.join(root, 'd0', 'blob.bin'), Buffer.from('hit\0binary'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const grep = (maxResults: number, extra: Record<string, unknown> = {}) => grepFiles(root, '.', { pattern: 'hit', regex: false, ignoreCase: false, maxResults, ...extra });

describe('grepFiles', () => {
  it('returns every match in walk order with line numbers, and skips binary files', async () => {
    const r = await grep(1000);
    expect(r.matches).toHaveLength(FILES * 2);
    expect(r.truncated).toBe(false);
    expect(r.binarySkipped).toBe(1);
    expect(r.filesScanned).toBe(FILES);
    const paths = r.matches.map((m) => m.path);
    expect(paths).toEqual([...paths].sort());
    const first = r.matches[0]!;
    expect(first).toEqual({ path: 'd0/f00.txt', line: FILES * 200 + 1, text: 'hit one' });
  });

  it('says truncated exactly when a match did not fit', async () => {
    const cut = await grep(5);
    expect(cut.matches.map((m) => `${m.path}:${m.text}`)).toEqual(['d0/f00.txt:hit one', 'd0/f00.txt:hit two', 'd0/f04.txt:hit one', 'd0/f04.txt:hit two', 'd0/f08.txt:hit one']);
    expect(cut.truncated).toBe(true);
    const exact = await grep(FILES * 2);
    expect(exact.matches).toHaveLength(FILES * 2);
    expect(exact.truncated).toBe(false);
  });

  it('keeps to the folder and the glob given', async () => {
    const r = await grepFiles(root, 'd1', { pattern: 'two', regex: false, ignoreCase: false, glob: 'f0*' });
    expect(r.matches.map((m) => m.path)).toEqual(['d1/f01.txt', 'd1/f05.txt', 'd1/f09.txt']);
  });
});
