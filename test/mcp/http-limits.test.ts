// HTTP limits: defaults, environment overrides, and the pairs Node.js or
// the budget would refuse.
import { describe, expect, it } from 'vitest';
import { HTTP_LIMITS, httpLimitsFromEnv, resolveHttpLimits } from '../../src/mcp/http-limits.js';

describe('httpLimitsFromEnv', () => {
  it('reads the overrides that are set, and only those', () => {
    expect(httpLimitsFromEnv({})).toEqual({});
    expect(httpLimitsFromEnv({ MESH_HTTP_REQUEST_TIMEOUT_MS: '2000', MESH_HTTP_MAX_SESSIONS: ' 16 ', MESH_HTTP_SESSION_INIT_IDLE_MS: '' })).toEqual({ requestTimeoutMs: 2000, maxSessions: 16 });
  });

  it('refuses a value that is not a positive integer, naming the variable', () => {
    for (const bad of ['0', '-5', '1.5', 'ten', '1e3x']) {
      expect(() => httpLimitsFromEnv({ MESH_HTTP_SESSION_IDLE_MS: bad }), bad).toThrow(/MESH_HTTP_SESSION_IDLE_MS must be a positive integer/);
    }
  });
});

describe('resolveHttpLimits', () => {
  it('completes overrides with the defaults', () => {
    expect(resolveHttpLimits()).toEqual(HTTP_LIMITS);
    expect(resolveHttpLimits({ maxSessions: 4 })).toEqual({ ...HTTP_LIMITS, maxSessions: 4 });
  });

  it('shortens the headers timeout to a shorter request timeout', () => {
    expect(resolveHttpLimits({ requestTimeoutMs: 2_000 }).headersTimeoutMs).toBe(2_000);
  });

  it('refuses a budget that cannot hold one body of the largest size', () => {
    expect(() => resolveHttpLimits({ bodyBudgetBytes: HTTP_LIMITS.maxBodyBytes - 1 })).toThrow(/budget/);
  });
});
