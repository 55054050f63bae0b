import { describe, expect, it } from 'vitest';
import { statusWord } from './jobs-command.js';

const counts = (failed: number) => ({ queued: 0, running: 0, succeeded: 3, failed, cancelled: 0 });

describe('statusWord', () => {
  it('never shows a job with failures as a plain "completed"', () => {
    expect(statusWord({ status: 'completed', counts: counts(0) })).toBe('completed');
    expect(statusWord({ status: 'completed', counts: counts(2) })).toBe('completed with 2 failed');
    expect(statusWord({ status: 'running', counts: counts(1) })).toBe('running with 1 failed');
  });

  it('shows failures in red on a terminal', () => {
    expect(statusWord({ status: 'completed', counts: counts(2) }, true)).toBe('\u001b[31mcompleted with 2 failed\u001b[39m');
    expect(statusWord({ status: 'completed', counts: counts(0) }, true)).toBe('completed');
  });
});
