// The data folder's resolution: flag over environment over default, always
// absolute, a leading `~/` (or `~\\`) under the home folder and nothing else
// rewritten.
import fc from 'fast-check';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DEFAULTS, resolveDataDir } from '../src/config.js';

const HOME = path.resolve('/home/someone');
const segment = fc.stringMatching(/^[a-zA-Z0-9._ ${}-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
const relative = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

it('expands a leading ~/ to the home folder, and only that', () => {
  fc.assert(
    fc.property(relative, (rel) => {
      expect(resolveDataDir(`~/${rel}`, {}, HOME)).toBe(path.join(HOME, rel));
      expect(resolveDataDir(undefined, { MESH_DATA_DIR: `~/${rel}` }, HOME)).toBe(path.join(HOME, rel));
      // A ~ anywhere else is a plain character.
      expect(resolveDataDir(`${rel}/~/x`, {}, HOME)).toBe(path.resolve(`${rel}/~/x`));
      if (!rel.startsWith('~')) expect(resolveDataDir(rel, {}, HOME)).toBe(path.resolve(rel));
    }),
  );
  expect(resolveDataDir('~', {}, HOME)).toBe(HOME);
});

it('takes the flag over the environment over the default; empty counts as unset', () => {
  expect(resolveDataDir('/a', { MESH_DATA_DIR: '/b' }, HOME)).toBe(path.resolve('/a'));
  expect(resolveDataDir('', { MESH_DATA_DIR: '/b' }, HOME)).toBe(path.resolve('/b'));
  expect(resolveDataDir(undefined, { MESH_DATA_DIR: '' }, HOME)).toBe(path.resolve(DEFAULTS.dataDir));
});
