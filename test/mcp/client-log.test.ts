// The level rule of log notifications: a message reaches a client when it
// is at least as severe as the level the client set (RFC 5424 order).
import { LoggingLevelSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { passesLevel } from '../../src/mcp/client-log.js';

const levels = LoggingLevelSchema.options as readonly LoggingLevel[];
const level = fc.constantFrom(...levels);

it('passes a message exactly when it is at least as severe as the threshold', () => {
  expect(passesLevel('warning', 'info')).toBe(true);
  expect(passesLevel('info', 'warning')).toBe(false);
  expect(passesLevel('emergency', 'emergency')).toBe(true);
  fc.assert(
    fc.property(level, level, (message, threshold) => {
      expect(passesLevel(message, threshold)).toBe(levels.indexOf(message) >= levels.indexOf(threshold));
    }),
  );
  // Monotone: raising the threshold never lets more through.
  fc.assert(fc.property(level, level, level, (m, a, b) => !(levels.indexOf(a) <= levels.indexOf(b) && passesLevel(m, b)) || passesLevel(m, a)));
});
