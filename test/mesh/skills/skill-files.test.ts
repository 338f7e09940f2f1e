// Reading a session's skill files by the real paths a walk found: a parent
// folder swapped for a link to outside after the walk is caught on the
// handle, so neither the hash nor the copy into the library reads outside.
import { mkdir, mkdtemp, readdir, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { DEFAULT_SKILL_LIMITS } from '../../../src/mesh/skills/index.js';
import { copyFileHashed, hashFile, walkSkillTree } from '../../../src/mesh/skills/skill-files.js';

let base: string;
let session: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mesh-skill-files-')));
  session = path.join(base, 'session');
  await mkdir(path.join(session, 'skills', 'tool', 'lib'), { recursive: true });
  await mkdir(path.join(base, 'outside', 'lib'), { recursive: true });
  await writeFile(path.join(session, 'skills', 'tool', 'SKILL.md'), '---\nname: tool\ndescription: x\n---\n');
  await writeFile(path.join(session, 'skills', 'tool', 'lib', 'code.txt'), 'inside');
  await writeFile(path.join(base, 'outside', 'lib', 'code.txt'), 'OUTSIDE');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

it('refuses to hash or copy a file whose folder was swapped for a link to outside after the walk', async () => {
  const files = await walkSkillTree(path.join(session, 'skills', 'tool'), { limits: DEFAULT_SKILL_LIMITS, linkRoot: session });
  const code = files.find((f) => f.path === 'lib/code.txt')!;
  expect(code.inside).toBe(session);
  expect((await hashFile(code.source, 1024, code.inside)).size).toBe(6);

  const lib = path.join(session, 'skills', 'tool', 'lib');
  await rename(lib, `${lib}-real`);
  await symlink(path.join(base, 'outside', 'lib'), lib);
  const hashed = await hashFile(code.source, 1024, code.inside).catch((e: unknown) => e);
  expect(hashed).toBeInstanceOf(MeshError);
  expect(hashed).toMatchObject({ code: 'PATH_OUTSIDE_SESSION', details: { rule: 'link' } });
  const copied = await copyFileHashed(code.source, path.join(base, 'copy.txt'), 0o600, 1024, code.inside).catch((e: unknown) => e);
  expect(copied).toMatchObject({ code: 'PATH_OUTSIDE_SESSION' });
  expect(await readdir(base)).not.toContain('copy.txt');
});
