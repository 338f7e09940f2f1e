// Exact-text edits and the unified diff `edit` returns: all or none, a
// missing or ambiguous oldText named by index, and a diff that, applied to
// the old text by an independent patcher, gives the new text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { applyEdits, uniqueIndexOf } from '../../../src/mesh/fs/text-edit.js';
import { MAX_DIFF_DISTANCE, MAX_DIFF_LINES, splitLines, unifiedDiff } from '../../../src/mesh/fs/unified-diff.js';

function codeOf(fn: () => unknown): { code: string; index: unknown } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    return { code: (err as MeshError).code, index: (err as MeshError).details.index };
  }
  throw new Error('expected a MeshError');
}

/** Apply a unified diff to `before`, checking every context and removed line: a patcher written apart from the differ. */
function patch(before: string, diff: string): string {
  if (diff === '') return before;
  const old = splitLines(before);
  const lines = diff.split('\n');
  expect(lines[0]).toMatch(/^--- a\//);
  expect(lines[1]).toMatch(/^\+\+\+ b\//);
  const out: string[] = [];
  let at = 0; // next old line not yet copied
  let i = 2;
  while (i < lines.length && lines[i] !== '') {
    const m = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[i]!);
    expect(m, lines[i]).not.toBeNull();
    const oldStart = Number(m![2]) === 0 ? Number(m![1]) : Number(m![1]) - 1;
    while (at < oldStart) out.push(old[at++]!);
    i++;
    while (i < lines.length && lines[i] !== '' && !lines[i]!.startsWith('@@')) {
      const kind = lines[i]![0];
      let text = `${lines[i]!.slice(1)}\n`;
      if (lines[i + 1] === '\\ No newline at end of file') {
        text = text.slice(0, -1);
        i++;
      }
      i++;
      if (kind === ' ' || kind === '-') {
        expect(old[at], 'context or removed line').toBe(text);
        at++;
      }
      if (kind === ' ' || kind === '+') out.push(text);
    }
  }
  while (at < old.length) out.push(old[at++]!);
  return out.join('');
}

const textArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', ' ', 'é', '\r'), maxLength: 200 });

describe('applyEdits', () => {
  it('replaces a unique oldText exactly where it is', () => {
    fc.assert(
      fc.property(textArb, fc.string({ minLength: 1, maxLength: 8 }), textArb, fc.string({ maxLength: 20 }), (head, marker, tail, repl) => {
        const old = `${head}\u0001${marker}\u0001${tail}`; // \u0001 occurs nowhere else: the oldText is unique
        expect(applyEdits(old, [{ oldText: `\u0001${marker}\u0001`, newText: repl }])).toBe(`${head}${repl}${tail}`);
      }),
    );
  });

  it('refuses a missing oldText and an ambiguous one, naming the edit by index, and applies nothing', () => {
    expect(codeOf(() => applyEdits('one two', [{ oldText: 'one', newText: '1' }, { oldText: 'three', newText: '3' }]))).toEqual({ code: 'EDIT_NO_MATCH', index: 1 });
    expect(codeOf(() => applyEdits('a a', [{ oldText: 'a', newText: 'b' }]))).toEqual({ code: 'EDIT_AMBIGUOUS', index: 0 });
    expect(codeOf(() => applyEdits('aaa', [{ oldText: 'aa', newText: 'b' }]))).toEqual({ code: 'EDIT_AMBIGUOUS', index: 0 });
    expect(codeOf(() => applyEdits('x', [{ oldText: '', newText: 'b' }]))).toEqual({ code: 'INVALID_ARGUMENT', index: 0 });
    expect(codeOf(() => applyEdits('x', []))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('is all or none: either every edit applies in order, or it throws', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.record({ oldText: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('a', 'b', '\n') }), newText: fc.string({ maxLength: 4 }) }), { minLength: 1, maxLength: 4 }), (text, edits) => {
        // Reference: apply one by one, with the uniqueness rule, by hand.
        let expected: string | undefined = text;
        for (const e of edits) {
          const first = expected.indexOf(e.oldText);
          if (first < 0 || expected.indexOf(e.oldText, first + 1) >= 0) {
            expected = undefined;
            break;
          }
          expected = expected.slice(0, first) + e.newText + expected.slice(first + e.oldText.length);
        }
        if (expected === undefined) expect(() => applyEdits(text, edits)).toThrow(MeshError);
        else expect(applyEdits(text, edits)).toBe(expected);
      }),
    );
  });

  it('uniqueIndexOf counts overlapping occurrences', () => {
    expect(uniqueIndexOf('abc', 'b')).toBe(1);
    expect(uniqueIndexOf('abc', 'x')).toBe(-1);
    expect(uniqueIndexOf('aaa', 'aa')).toBe(-2);
  });
});

describe('unifiedDiff', () => {
  it('patched onto the old text gives the new text, whatever the texts', () => {
    const lineArb = fc.constantFrom('a\n', 'b\n', 'c\n', 'a', 'x\r\n', '\n');
    const doc = fc.array(lineArb, { maxLength: 30 }).map((l) => l.join(''));
    fc.assert(
      fc.property(doc, doc, (before, after) => {
        expect(patch(before, unifiedDiff(before, after, 'f.txt'))).toBe(after);
      }),
      { numRuns: 500 },
    );
  });

  it('shows the changed line with three lines of context and the missing final newline', () => {
    const before = '1\n2\n3\n4\n5\n6\n7\n8\n9';
    const diff = unifiedDiff(before, before.replace('5', 'five').replace('9', 'nine'), 'n.txt');
    expect(diff).toBe('--- a/n.txt\n+++ b/n.txt\n@@ -2,8 +2,8 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n-9\n\\ No newline at end of file\n+nine\n\\ No newline at end of file\n');
    expect(unifiedDiff('same', 'same', 'x')).toBe('');
  });

  it('stays correct past the distance bound (one removal and one insertion)', () => {
    const before = Array.from({ length: MAX_DIFF_DISTANCE + 10 }, (_, i) => `old ${i}\n`).join('');
    const after = Array.from({ length: MAX_DIFF_DISTANCE + 10 }, (_, i) => `new ${i}\n`).join('');
    expect(patch(before, unifiedDiff(before, after, 'big'))).toBe(after);
  });

  it('stays correct and quick on a middle too long to match line by line', () => {
    const before = Array.from({ length: MAX_DIFF_LINES }, (_, i) => `line ${i}\n`).join('');
    const after = before.replace('line 0\n', 'first\n').replace(`line ${MAX_DIFF_LINES - 1}\n`, 'last\n').replace('line 5000\n', 'middle\n');
    const started = performance.now();
    const diff = unifiedDiff(before, after, 'long');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(patch(before, diff)).toBe(after);
  });
});
