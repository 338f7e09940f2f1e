// The version a request of a session is served under: never older than the
// one agreed at initialize, never newer, unknown versions left to the SDK.
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { effectiveVersion, negotiatedVersion } from '../../src/mcp/http-protocol-version.js';

const supported = fc.constantFrom(...SUPPORTED_PROTOCOL_VERSIONS);

it('agrees on the asked version when supported, else the latest', () => {
  expect(negotiatedVersion('2025-06-18')).toBe('2025-06-18');
  expect(negotiatedVersion('1999-01-01')).toBe(LATEST_PROTOCOL_VERSION);
  expect(negotiatedVersion(undefined)).toBe(LATEST_PROTOCOL_VERSION);
});

it('lifts an older header to the agreed version and leaves the rest alone', () => {
  expect(effectiveVersion('2025-03-26', '2025-11-25')).toBe('2025-11-25');
  expect(effectiveVersion(undefined, '2025-11-25')).toBeUndefined();
  expect(effectiveVersion('2099-01-01', '2025-11-25')).toBe('2099-01-01');
  fc.assert(
    fc.property(supported, supported, (header, agreed) => {
      const v = effectiveVersion(header, agreed)!;
      expect(v >= header).toBe(true);
      expect(v === header || v === agreed).toBe(true);
      expect(v <= (header > agreed ? header : agreed)).toBe(true);
    }),
  );
});
