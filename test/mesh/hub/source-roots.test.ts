// `push` reads only regular files under the source roots, checked on real
// paths: traversal, absolute paths elsewhere, sibling prefixes and links
// leading out are refused.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveSource } from '../../../src/mesh/hub/source-roots.js';
import { tempDir } from '../../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let root: string;

beforeAll(async () => {
  tmp = await tempDir();
  root = path.join(tmp.dir, 'src');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(path.join(tmp.dir, 'src-evil'));
  await writeFile(path.join(root, 'sub', 'ok.bin'), 'ok');
  await writeFile(path.join(tmp.dir, 'src-evil', 'x.bin'), 'nope');
  await writeFile(path.join(tmp.dir, 'secret'), 'nope');
  await symlink(path.join(tmp.dir, 'secret'), path.join(root, 'out-link'));
  await symlink(path.join(root, 'sub', 'ok.bin'), path.join(root, 'in-link'));
});
afterAll(() => tmp.cleanup());

it('resolves files under a root, relative or absolute, and links that stay inside', async () => {
  const real = path.join(root, 'sub', 'ok.bin');
  expect(await resolveSource([root], 'sub/ok.bin')).toBe(real);
  expect(await resolveSource([root], real)).toBe(real);
  expect(await resolveSource([root], 'in-link')).toBe(real);
});

it('refuses what lies outside, folders, and hubs without roots', async () => {
  await expect(resolveSource([root], '../secret')).rejects.toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
  await expect(resolveSource([root], path.join(tmp.dir, 'src-evil', 'x.bin'))).rejects.toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
  await expect(resolveSource([root], 'out-link')).rejects.toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
  await expect(resolveSource([root], 'sub')).rejects.toMatchObject({ code: 'NOT_A_FILE' });
  await expect(resolveSource([root], 'missing.bin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(resolveSource([root], 'a\0b')).rejects.toMatchObject({ code: 'PATH_INVALID' });
  await expect(resolveSource([], 'sub/ok.bin')).rejects.toMatchObject({ code: 'SOURCE_NOT_ALLOWED' });
});
