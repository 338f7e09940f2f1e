import { defineConfig } from 'vitest/config';

// Integration tests start real hub and node processes; they are slow to boot
// on a 2-core machine, hence the generous timeouts. Files run one at a time
// so that process-heavy suites do not starve one another.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
