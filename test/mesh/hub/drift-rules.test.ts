// The one rule for drift, per path, against a model written out by hand.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { decideDrift, driftKind, type PathState } from '../../../src/mesh/hub/drift-rules.js';

const file = fc.option(fc.record({ size: fc.nat(3), sha256: fc.constantFrom('a', 'b') }), { nil: undefined });
const state = fc.record({ path: fc.constant('p'), mirror: file, copy: file }) as fc.Arbitrary<PathState>;
const situation = fc.record({ mode: fc.constantFrom('repair' as const, 'report' as const), inFlight: fc.boolean(), affordable: fc.boolean() });

it('decides every path as the rules say', () => {
  fc.assert(
    fc.property(state, situation, (s, sit) => {
      const same = s.mirror && s.copy && s.mirror.size === s.copy.size && s.mirror.sha256 === s.copy.sha256;
      const kind = !s.mirror && !s.copy ? undefined : !s.copy ? 'missing' : !s.mirror ? 'extra' : same ? undefined : 'changed';
      expect(driftKind(s)).toBe(kind);
      const verdict = decideDrift(s, sit);
      if (kind === undefined || sit.inFlight) {
        expect(verdict).toBeUndefined();
      } else {
        // Files only the node has are never repaired (that would delete them), and report mode repairs nothing.
        const action = kind === 'extra' || sit.mode === 'report' ? 'reported' : sit.affordable ? 'repairing' : 'deferred';
        expect(verdict).toEqual({ kind, action });
      }
    }),
  );
});
