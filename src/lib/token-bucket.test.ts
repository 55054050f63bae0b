import { describe, expect, it } from 'vitest';
import { fullBucket, isBucketFull, msUntilToken, refill, takeToken } from './token-bucket.js';

const config = { ratePerSecond: 2, burst: 4 };

describe('token bucket', () => {
  it('spends a burst, then refills at the rate', () => {
    let state = fullBucket(config, 0);
    for (let i = 0; i < 4; i += 1) {
      const taken = takeToken(state, config, 0);
      expect(taken.isTaken).toBe(true);
      state = taken.state;
    }
    const refused = takeToken(state, config, 0);
    expect(refused).toMatchObject({ isTaken: false, retryAfterMs: 500 });
    expect(takeToken(state, config, 499).isTaken).toBe(false);
    expect(takeToken(state, config, 500).isTaken).toBe(true);
  });

  it('never holds more than burst and never mints tokens when the clock goes back', () => {
    expect(refill({ tokens: 0, updatedAtMs: 0 }, config, 1_000_000).tokens).toBe(4);
    expect(refill({ tokens: 1, updatedAtMs: 1000 }, config, 0).tokens).toBe(1);
  });

  it('reports fullness and waits for fractional rates', () => {
    expect(isBucketFull(fullBucket(config, 0), config, 0)).toBe(true);
    expect(isBucketFull({ tokens: 3, updatedAtMs: 0 }, config, 499)).toBe(false);
    expect(isBucketFull({ tokens: 3, updatedAtMs: 0 }, config, 500)).toBe(true);
    expect(msUntilToken({ tokens: 0, updatedAtMs: 0 }, { ratePerSecond: 0.5, burst: 1 }, 0)).toBe(2000);
  });
});
