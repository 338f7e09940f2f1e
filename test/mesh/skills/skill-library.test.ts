// Reading the library for delivery: a copy whose bytes no longer match its
// recorded hash is never handed out.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readVerifiedCopy } from '../../../src/mesh/skills/skill-library.js';
import { promoteSkill } from '../../../src/mesh/skills/skill-promote.js';
import { makeTemp, refusal, writeSkill } from './helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await makeTemp('library');
});
afterEach(async () => tmp.cleanup());

it('reads a current copy that matches its record, and refuses one that does not', async () => {
  const session = path.join(tmp.dir, 'session');
  const library = path.join(tmp.dir, 'skills');
  await mkdir(session);
  const result = await promoteSkill({ sessionRoot: session, sessionName: 's', skillPath: await writeSkill(session, 'tool', { 'a.txt': 'a' }), libraryRoot: library });
  const copy = await readVerifiedCopy(library, 'tool');
  expect(copy.meta).toMatchObject({ name: 'tool', version: 1, sha256: result.sha256 });
  expect(copy.files.map((f) => f.path)).toEqual(['SKILL.md', 'a.txt']);

  // Bytes that reached the library behind the promotion's back (e.g. through the session's link).
  await writeFile(path.join(library, 'tool', 'a.txt'), 'tampered');
  const err = await refusal(readVerifiedCopy(library, 'tool'));
  expect(err).toMatchObject({ code: 'CHECKSUM_MISMATCH', details: { name: 'tool', version: 1 } });
  await writeFile(path.join(library, 'tool', 'extra.txt'), 'added');
  expect((await refusal(readVerifiedCopy(library, 'tool'))).code).toBe('CHECKSUM_MISMATCH');
  expect((await refusal(readVerifiedCopy(library, 'nope'))).code).toBe('SKILL_NOT_FOUND');
});
