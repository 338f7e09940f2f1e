// The conformance verdict: green only when every check passed, except the
// one failure server-sse-polling reports for the suite's own test tool.
import { expect, it } from 'vitest';
import { parseChecks, verdict } from './verdict.js';

it('is green on successes and information, and on nothing else', () => {
  expect(verdict('ping', [{ id: 'ping', status: 'SUCCESS' }, { id: 'x', status: 'INFO' }]).green).toBe(true);
  expect(verdict('ping', [{ id: 'ping', status: 'WARNING', errorMessage: 'slow' }])).toMatchObject({ green: false, problems: ['ping WARNING: slow'] });
  expect(verdict('ping', []).green).toBe(false);
});

it('excuses only the test_reconnection failure, and only in server-sse-polling', () => {
  const own = { id: 'incoming-sse-event', status: 'FAILURE', errorMessage: 'Tool call failed' };
  expect(verdict('server-sse-polling', [own, { id: 'server-sse-priming-event', status: 'SUCCESS' }])).toMatchObject({ green: true, excused: [expect.stringContaining('incoming-sse-event')] });
  expect(verdict('server-sse-polling', [own, { id: 'server-sse-retry-field', status: 'WARNING' }]).green).toBe(false);
  expect(verdict('tools-list', [own]).green).toBe(false);
});

it('reads the checks out of the verbose output', () => {
  const out = "Running client scenario 'ping' against server: http://x/mcp\n[\n  {\"id\": \"ping\", \"status\": \"SUCCESS\"}\n]\n";
  expect(parseChecks(out)).toEqual([{ id: 'ping', status: 'SUCCESS' }]);
  expect(parseChecks('no json here')).toEqual([]);
});
