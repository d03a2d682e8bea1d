import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-postgres.ts'],
    // Test files run in parallel, each in its own schema; spawned `jm` processes need headroom.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default on these 2-core machines is one file at a time; the files mostly wait
    // on PostgreSQL and spawned jm processes, so three at once finish the suite in a third of
    // the time without starving the timing-sensitive ones.
    maxWorkers: 3,
  },
});
