// SDK tool-call error messages turned into our INVALID_ARGUMENT form.
import { expect, it } from 'vitest';
import { sdkToolError } from '../../src/mcp/arg-errors.js';

it('names every argument the SDK refused, in our error form', () => {
  const e = sdkToolError('MCP error -32602: Input validation error: Invalid arguments for tool cat: Required at path\nNumber must be greater than or equal to 0 at offset');
  expect(e?.code).toBe('INVALID_ARGUMENT');
  expect(e?.message).toBe('invalid arguments for `cat`: `path`: Required; `offset`: Number must be greater than or equal to 0');
  expect(e?.hint).toMatch(/Fix the named argument/);
  expect(sdkToolError('MCP error -32602: Input validation error: Invalid arguments for tool ls: Expected object, received string')?.message).toBe(
    'invalid arguments for `ls`: Expected object, received string',
  );
});

it('says which tool does not exist, and leaves other errors alone', () => {
  const e = sdkToolError('MCP error -32602: Tool nope not found');
  expect(e?.code).toBe('INVALID_ARGUMENT');
  expect(e?.hint).toMatch(/tools\/list/);
  expect(sdkToolError('something else broke')).toBeUndefined();
});
