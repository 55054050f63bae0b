/**
 * Settings of every server a test starts, in this process (`loadConfig({ ...TEST_SERVER_ENV, … })`)
 * or as a child process (vitest.config.ts puts them in the environment children inherit). Tests
 * poll every 20 ms, faster than any client should, so the per-client rate limit is off; it has
 * tests of its own (test/api/auth.test.ts).
 */
export const TEST_SERVER_ENV = { DISTILL_RATE_LIMIT: '0' } as const;
