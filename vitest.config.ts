import { defineConfig } from 'vitest/config';

// Integration tests start real hub and node processes; they are slow to boot
// on a 2-core machine, hence the generous timeouts.
//
// Most files wait on processes, sockets and disks more than they compute, so
// they run two at a time. Files that measure memory or time, race on purpose,
// or push bulk data through throttled links run one at a time after them, so
// that nothing else skews what they measure.
const ALONE = [
  'test/security/**/*.test.ts',
  'test/mesh/transfer/**/*.test.ts',
  'test/mesh/skills/skill-crash.test.ts',
  'test/mesh/skills/skill-concurrency.test.ts',
  'test/mesh/hub/write-drift-1000.test.ts',
  'test/mesh/hub/store-outage.test.ts',
  'test/mesh/node/reconnect.test.ts',
  'test/mesh/node/manifest-resume.test.ts',
  'test/mcp/cancel.test.ts',
  'test/mcp/http-resume.test.ts',
  'test/ops/status-page.test.ts',
  'test/ops/demo.test.ts',
  'test/support/throttle-proxy.test.ts',
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
