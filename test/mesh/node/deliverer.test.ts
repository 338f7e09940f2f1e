// The part file's name: beside its target, and never a path of its own
// (a transfer id comes from the hub and ends up in a file name).
import { expect, it } from 'vitest';
import { partNameFor } from '../../../src/mesh/node/deliverer.js';

it('names the part file after its target and the transfer', () => {
  expect(partNameFor('big.bin', '0123456789abcdef')).toBe('.big.bin.part-0123456789abcdef');
});

it.each(['../../x', 'a/b', 'ab\\cd12345', '', 'ZZZZZZZZZZ'])('refuses transfer id %j', (id) => {
  expect(() => partNameFor('big.bin', id)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
});
