import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-postgres.ts'],
    // Test files run in parallel, each in its own schema; spawned `jm` processes need headroom.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
