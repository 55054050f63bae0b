import { defineConfig } from 'vitest/config';
import { TEST_SERVER_ENV } from './test/helpers/server-env.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Integration suites start servers and child processes; two forks match the two cores CI has.
    maxWorkers: 2,
    reporters: ['default'],
    // Inherited by the servers tests start as child processes (see test/helpers/server-env.ts).
    env: { ...TEST_SERVER_ENV },
  },
});
