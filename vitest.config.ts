import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real TLS servers and child processes; two cores do not like more forks.
    maxWorkers: 2,
    pool: 'forks',
  },
});
