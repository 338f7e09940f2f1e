// Label values chosen by peers (node ids) are capped: the hub never keeps
// more than `max` series per label, whatever arrives.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { BoundedLabels, MAX_LABEL_CHARS, OTHER_LABEL } from '../../src/ops/bounded-labels.js';

it('keeps the first values by name and folds the rest into _other', () => {
  const labels = new BoundedLabels(2);
  expect(['a', 'b', 'c', 'a', 'd', 'b'].map((v) => labels.label(v))).toEqual(['a', 'b', OTHER_LABEL, 'a', OTHER_LABEL, 'b']);
});

it('never reports more than max + 1 distinct values, and a kept value always maps to itself', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 20 }), fc.array(fc.string({ maxLength: 300 }), { maxLength: 400 }), (max, values) => {
      const labels = new BoundedLabels(max);
      const first = new Map<string, string>();
      const out = new Set<string>();
      for (const v of values) {
        const l = labels.label(v);
        out.add(l);
        expect(l.length).toBeLessThanOrEqual(MAX_LABEL_CHARS);
        // Stable: once a value got its label, it keeps it.
        if (first.has(v)) expect(l).toBe(first.get(v));
        else first.set(v, l);
      }
      expect(out.size).toBeLessThanOrEqual(max + 1);
      expect(labels.size).toBeLessThanOrEqual(max);
    }),
  );
});
