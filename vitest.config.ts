import { defineConfig } from 'vitest/config';

// Integration tests start real hub and node processes; they are slow to boot
// on a 2-core machine, hence the generous timeouts.
//
// Most files wait on processes, sockets and disks more than they compute, so
// they run two at a time. The few that assert how fast something happens
// (a revocation within 1 s, a page updated within 5 s, a slow body cut in
// time, a retry count, a cancellation before a slow node ends, a slow node's
// share of a push) run one at a time after them, so that nothing else skews
// what they measure.
const ALONE = [
  'test/security/revocation.test.ts',
  'test/security/http-slow-body.test.ts',
  'test/ops/status-page.test.ts',
  'test/mesh/node/reconnect.test.ts',
  'test/mcp/cancel.test.ts',
  'test/mesh/transfer/isolation.test.ts',
];

const common = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: 'shared', include: ['test/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...common, name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
