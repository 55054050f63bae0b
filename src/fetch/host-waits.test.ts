import { describe, expect, it } from 'vitest';
import { describePoliteness } from '../client/politeness.js';
import { HostWaits } from './host-waits.js';

class Clock {
  time = 1_000_000;
  now(): number {
    return this.time;
  }
}

const limit = { inFlight: 2, ratePerSecond: 2 };

describe('HostWaits', () => {
  it('says how many items of a job wait for which host, and how many are in flight', () => {
    const clock = new Clock();
    const waits = new HostWaits({ limit, clock });
    const ends = Array.from({ length: 30 }, () => waits.begin('job', 'Slow.Example'));
    waits.begin('job', 'other.test');
    waits.begin('another-job', 'slow.example');
    expect(waits.politeness('job', 32)).toEqual({
      inFlight: 1,
      waiting: [
        { host: 'slow.example', items: 30, limit },
        { host: 'other.test', items: 1, limit },
      ],
    });
    for (const end of ends) {
      end();
      end(); // Ending twice counts once.
    }
    expect(waits.politeness('job', 2)?.waiting).toEqual([{ host: 'other.test', items: 1, limit }]);
  });

  it('counts a rescheduled item until its run-after has passed or it waits again', () => {
    const clock = new Clock();
    const waits = new HostWaits({ limit, clock });
    waits.rescheduled('job', 'a.test', 5000);
    waits.rescheduled('job', 'a.test', 5000);
    expect(waits.politeness('job', 1)).toEqual({
      inFlight: 1,
      waiting: [{ host: 'a.test', items: 2, limit }],
    });
    // One comes back: it waits in a slot now, counted once.
    const end = waits.begin('job', 'a.test');
    expect(waits.politeness('job', 1)?.waiting[0]?.items).toBe(2);
    end();
    clock.time += 6000;
    expect(waits.politeness('job', 1)).toBeUndefined();
    expect(waits.size).toBe(0);
  });

  it('stays bounded: the least recently touched jobs and idle hosts are forgotten, the top 3 hosts shown', () => {
    const waits = new HostWaits({ limit, maxJobs: 10, maxHostsPerJob: 5, clock: new Clock() });
    for (let i = 0; i < 100; i++) waits.begin(`job-${i}`, 'x.test');
    expect(waits.size).toBe(10);
    expect(waits.politeness('job-0', 1)).toBeUndefined();
    for (let i = 0; i < 20; i++) waits.begin('job-99', `h${i}.test`);
    // Five hosts at most: the rest of the hosts are not counted; three are listed.
    expect(waits.politeness('job-99', 30)?.waiting).toHaveLength(3);
  });

  it('reads as a person would say it', () => {
    expect(
      describePoliteness({
        inFlight: 2,
        waiting: [
          { host: 'x.test', items: 30, limit },
          { host: 'y.test', items: 1, limit: { inFlight: 2, ratePerSecond: 0.5 } },
        ],
      }),
    ).toBe(
      '2 in flight, waiting for host x.test: 2 requests/s, 2 at a time (30 links wait); also y.test (1)',
    );
  });
});
