// HOST:PORT: joinHostPort writes what splitHostPort reads back, an IPv6 host
// in brackets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinHostPort, splitHostPort } from '../../../src/mesh/protocol/address.js';

describe('joinHostPort', () => {
  it('round-trips through splitHostPort for names, IPv4 and IPv6 hosts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        expect(splitHostPort(joinHostPort(host, port))).toEqual({ host, port });
      }),
    );
    expect(joinHostPort('::1', 7422)).toBe('[::1]:7422');
    expect(joinHostPort('127.0.0.1', 0)).toBe('127.0.0.1:0');
  });
});
