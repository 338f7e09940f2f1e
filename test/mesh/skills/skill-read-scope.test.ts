// Which link targets a read may follow into the skills library: the folder
// of a promoted skill and what is below it; never the library root, its
// dot folders (.versions, .kept, temp copies), or anything outside.
import path from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { skillFolderOf } from '../../../src/mesh/skills/skill-read-scope.js';

const LIB = '/data/skills';

it('admits a skill folder and below, nothing else', () => {
  expect(skillFolderOf(LIB, '/data/skills/demo')).toBe('/data/skills/demo');
  expect(skillFolderOf(LIB, '/data/skills/demo/scripts/run.sh')).toBe('/data/skills/demo');
  for (const refused of ['/data/skills', '/data/skills/.versions/demo/1', '/data/skills/.kept/demo/x', '/data/skills/.tmp-demo-0123456789ab', '/data/skills-evil/demo', '/data', '/etc/passwd', 'data/skills/demo']) {
    expect(skillFolderOf(LIB, refused), refused).toBeUndefined();
  }
});

it('whatever it admits is a skill folder directly below the library that holds the target', () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
  fc.assert(
    fc.property(fc.array(segment, { maxLength: 5 }), (segments) => {
      const where = path.join(LIB, ...segments);
      const folder = skillFolderOf(LIB, where);
      if (folder === undefined) return;
      expect(path.dirname(folder)).toBe(LIB);
      expect(path.basename(folder).startsWith('.')).toBe(false);
      expect(where === folder || where.startsWith(`${folder}/`)).toBe(true);
    }),
  );
});
