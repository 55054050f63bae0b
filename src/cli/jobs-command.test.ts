import { describe, expect, it } from 'vitest';
import { barValues } from './io.js';
import { statusWord, waitingText } from './jobs-command.js';

const counts = (failed: number) => ({ queued: 0, running: 0, succeeded: 3, failed, cancelled: 0 });

describe('statusWord', () => {
  it('never shows a job with failures as a plain "completed"', () => {
    expect(statusWord({ status: 'completed', counts: counts(0) })).toBe('completed');
    expect(statusWord({ status: 'completed', counts: counts(2) })).toBe('completed with 2 failed');
    expect(statusWord({ status: 'running', counts: counts(1) })).toBe('running with 1 failed');
  });

  it('shows failures in red on a terminal', () => {
    expect(statusWord({ status: 'completed', counts: counts(2) }, true)).toBe(
      '\u001b[31mcompleted with 2 failed\u001b[39m',
    );
    expect(statusWord({ status: 'completed', counts: counts(0) }, true)).toBe('completed');
  });
});

describe('the progress bar of jobs submit --watch', () => {
  it('counts cancelled items as cancelled, not done, and a cancelled job ends at 100%', () => {
    expect(barValues({ succeeded: 3, failed: 1, cancelled: 6 })).toEqual({
      value: 10,
      payload: { succeeded: 3, failed: 1, cancelled: 6 },
    });
  });

  it('says what the job waits on, as the web page does, instead of a bare running count', () => {
    expect(waitingText(undefined)).toBe('');
    const politeness = {
      inFlight: 2,
      waiting: [
        { host: 'example.com', items: 30, limit: { inFlight: 2, ratePerSecond: 2 } },
        { host: 'example.org', items: 4, limit: { inFlight: 2, ratePerSecond: 2 } },
      ],
    };
    expect(waitingText(politeness)).toBe(
      ' | 2 in flight, waiting for host example.com: 2 requests/s, 2 at a time (30 links wait); also example.org (4)',
    );
  });
});
