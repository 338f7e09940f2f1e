// Which requests get a plain JSON answer over HTTP: those that finish at once
// and send nothing before their answer; everything else keeps its SSE stream.
import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { answersAtOnce } from '../../src/mcp/http-plain-calls.js';

const READ_ONLY = new Set(['ls', 'cat', 'status', 'find', 'grep']);
const WRITING = ['write', 'push', 'edit', 'rm', 'mv', 'promote-skill'];
const call = (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): JSONRPCRequest => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

it('answers read-only tools on the mirror and the quick methods at once', () => {
  expect(answersAtOnce(call('cat', { session: 's', path: 'a' }), READ_ONLY)).toBe(true);
  expect(answersAtOnce(call('ls', { session: 's', node: 'hub' }), READ_ONLY)).toBe(true);
  for (const method of ['ping', 'tools/list', 'resources/read', 'logging/setLevel']) expect(answersAtOnce({ jsonrpc: '2.0', id: 2, method }, READ_ONLY), method).toBe(true);
});

it('keeps a stream for calls that ask nodes, write, want progress, or are unknown', () => {
  expect(answersAtOnce(call('cat', { session: 's', path: 'a', node: 'alpha' }), READ_ONLY)).toBe(false);
  expect(answersAtOnce(call('ls', { session: 's', node: '*' }), READ_ONLY)).toBe(false);
  expect(answersAtOnce(call('ls', { session: 's' }, { progressToken: 7 }), READ_ONLY)).toBe(false);
  expect(answersAtOnce(call('test_reconnection', {}), READ_ONLY)).toBe(false);
  for (const name of WRITING) expect(answersAtOnce(call(name, { session: 's' }), READ_ONLY), name).toBe(false);
  expect(answersAtOnce({ jsonrpc: '2.0', id: 3, method: 'tasks/result', params: { taskId: 't' } }, READ_ONLY)).toBe(false);
});

it('never answers at once a request that asked for progress, nor a call that is not a read of the mirror', () => {
  const name = fc.oneof(fc.constantFrom(...READ_ONLY, ...WRITING), fc.string());
  const node = fc.option(fc.oneof(fc.constant('hub'), fc.constant('*'), fc.string()), { nil: undefined });
  const token = fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined });
  fc.assert(
    fc.property(name, node, token, (tool, target, progressToken) => {
      const request = call(tool, target === undefined ? {} : { node: target }, progressToken === undefined ? undefined : { progressToken });
      const expected = progressToken === undefined && READ_ONLY.has(tool) && (target === undefined || target === 'hub');
      expect(answersAtOnce(request, READ_ONLY)).toBe(expected);
    }),
  );
});
