import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import {
  isValidSkillName,
  parseSkillMd,
  parseSkillMeta,
  serializeSkillMeta,
  skillContentHash,
  SKILL_NAME_MAX,
} from '../../../src/mesh/skills/skill-manifest.js';

function refusal(fn: () => unknown): MeshError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return err as MeshError;
  }
  throw new Error('expected a refusal');
}

const doc = (yaml: string) => `---\n${yaml}\n---\nbody\n`;

describe('parseSkillMd', () => {
  it('accepts a valid front matter and ignores other fields', () => {
    expect(parseSkillMd(doc('name: my-skill\ndescription: Does things.\nlicense: MIT'), 'my-skill')).toEqual({
      name: 'my-skill',
      description: 'Does things.',
    });
    expect(parseSkillMd('\uFEFF---\r\nname: a1\r\ndescription: x\r\n---\r\n', 'a1').name).toBe('a1');
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ['no front matter', '# Title\n', 'front matter', /first line must be "---"/],
    ['unclosed front matter', '---\nname: a\n', 'front matter', /not closed/],
    ['invalid YAML', doc('name: [unclosed'), 'front matter', /not valid YAML/],
    ['a list instead of a mapping', doc('- a\n- b'), 'front matter', /mapping/],
    ['missing name', doc('description: x'), 'name', /"name" is missing/],
    ['a non-string name', doc('name: 12\ndescription: x'), 'name', /"name" must be a non-empty string/],
    ['an upper-case name', doc('name: Bad_Name\ndescription: x'), 'name', /"name" must be lowercase letters, digits and hyphens \(got "Bad_Name"\)/],
    ['a double hyphen', doc('name: a--b\ndescription: x'), 'name', /lowercase letters/],
    ['a too long name', doc(`name: ${'a'.repeat(65)}\ndescription: x`), 'name', /at most 64 characters/],
    ['a name unlike the folder', doc('name: other\ndescription: x'), 'name', /must equal the folder name "my-skill" \(got "other"\)/],
    ['missing description', doc('name: my-skill'), 'description', /"description" is missing/],
    ['a non-string description', doc('name: my-skill\ndescription: [1, 2]'), 'description', /must be a string/],
    ['an empty description', doc('name: my-skill\ndescription: "  "'), 'description', /must not be empty/],
    ['a too long description', doc(`name: my-skill\ndescription: ${'d'.repeat(1025)}`), 'description', /at most 1024/],
  ];
  for (const [label, text, field, message] of cases) {
    it(`refuses ${label}, naming the field`, () => {
      const err = refusal(() => parseSkillMd(text, 'my-skill'));
      expect(err.code).toBe('SKILL_INVALID');
      expect(err.details.field).toBe(field);
      expect(err.message).toMatch(message);
      if (field === 'name' || field === 'description') expect(err.message).toContain(`"${field}"`);
    });
  }
});

describe('skill name rule', () => {
  const segment = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  it('accepts every hyphen-joined list of lowercase alphanumeric segments up to 64 characters', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (parts) => {
        const name = parts.join('-');
        expect(isValidSkillName(name)).toBe(name.length <= SKILL_NAME_MAX);
      }),
    );
  });
  it('refuses any name with a character outside [a-z0-9-]', () => {
    fc.assert(
      fc.property(segment, fc.string({ minLength: 1, maxLength: 3 }).filter((s) => /[^a-z0-9-]/.test(s)), segment, (a, bad, b) => {
        expect(isValidSkillName(`${a}${bad}${b}`)).toBe(false);
      }),
    );
  });
  it('refuses leading, trailing and doubled hyphens', () => {
    fc.assert(
      fc.property(segment, segment, (a, b) => {
        for (const name of [`-${a}`, `${a}-`, `${a}--${b}`]) expect(isValidSkillName(name)).toBe(false);
      }),
    );
  });
  it('agrees with the front matter check', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), (name) => {
        let accepted = true;
        try {
          parseSkillMd(doc(`name: ${JSON.stringify(name)}\ndescription: x`), name);
        } catch {
          accepted = false;
        }
        expect(accepted).toBe(isValidSkillName(name));
      }),
    );
  });
});

describe('skillContentHash', () => {
  const file = fc.record({
    path: fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6}){0,2}$/),
    executable: fc.boolean(),
    sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
  });
  const files = fc.uniqueArray(file, { selector: (f) => f.path, maxLength: 12 });
  it('does not depend on the order of the list', () => {
    fc.assert(
      fc.property(files, fc.nat(), (list, seed) => {
        const shuffled = [...list].sort((a, b) => ((a.sha256 + seed).localeCompare(b.sha256 + seed)));
        expect(skillContentHash(shuffled)).toBe(skillContentHash(list));
        expect(skillContentHash([...list].reverse())).toBe(skillContentHash(list));
      }),
    );
  });
  it('changes with any path, executable bit or file hash', () => {
    fc.assert(
      fc.property(files.filter((l) => l.length > 0), fc.nat(), (list, pick) => {
        const i = pick % list.length;
        const base = skillContentHash(list);
        const flip = list.map((f, j) => (j === i ? { ...f, executable: !f.executable } : f));
        const rename = list.map((f, j) => (j === i ? { ...f, path: `${f.path}z` } : f));
        expect(skillContentHash(flip)).not.toBe(base);
        if (!list.some((f) => f.path === `${list[i]!.path}z`)) expect(skillContentHash(rename)).not.toBe(base);
      }),
    );
  });
});

describe('.skill.json', () => {
  it('round-trips and refuses incomplete records', () => {
    const meta = { name: 'a-b', version: 3, sha256: 'a'.repeat(64), promotedFrom: 's1', at: new Date(0).toISOString() };
    expect(parseSkillMeta(serializeSkillMeta(meta))).toEqual(meta);
    expect(parseSkillMeta('{')).toBeUndefined();
    expect(parseSkillMeta(JSON.stringify({ ...meta, version: 0 }))).toBeUndefined();
    expect(parseSkillMeta(JSON.stringify({ ...meta, sha256: 'xyz' }))).toBeUndefined();
    expect(parseSkillMeta(JSON.stringify({ ...meta, name: 'Bad' }))).toBeUndefined();
  });
});
