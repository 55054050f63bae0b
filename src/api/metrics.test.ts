import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

/** The value of an unlabelled sample in the text exposition, or undefined. */
function sample(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics', () => {
  it('reports the hand-off between fetching and extraction, read at scrape time', async () => {
    const metrics = createMetrics({ hasDefaultMetrics: false });
    let reading = { bytes: 0, bodies: 0, maxBytes: 1000, pauses: 0 };
    metrics.watchHandOff(() => reading);
    reading = { bytes: 1200, bodies: 3, maxBytes: 1000, pauses: 2 };
    const { body } = await metrics.render();
    expect(sample(body, 'distill_hand_off_bytes')).toBe(1200);
    expect(sample(body, 'distill_hand_off_bodies')).toBe(3);
    expect(sample(body, 'distill_hand_off_max_bytes')).toBe(1000);
    expect(sample(body, 'distill_hand_off_pauses_total')).toBe(2);
  });

  it('reports the group commit: transactions and the finished attempts they wrote', async () => {
    let stats = { batches: 3, requests: 130 };
    const metrics = createMetrics({ hasDefaultMetrics: false, groupCommit: () => stats });
    let { body } = await metrics.render();
    expect(sample(body, 'distill_group_commit_batches_total')).toBe(3);
    expect(sample(body, 'distill_group_commit_items_total')).toBe(130);
    stats = { batches: 5, requests: 131 };
    ({ body } = await metrics.render());
    expect(sample(body, 'distill_group_commit_batches_total')).toBe(5);
    expect(sample(body, 'distill_group_commit_items_total')).toBe(131);
  });

  it('reads the outbox once per scrape and reports its lag from the oldest event', async () => {
    let reads = 0;
    let backlog: { pending: number; oldestCreatedAt: number | null } = {
      pending: 3,
      oldestCreatedAt: 10_000,
    };
    const metrics = createMetrics({
      hasDefaultMetrics: false,
      now: () => 12_500,
      outbox: () => {
        reads++;
        return Promise.resolve(backlog);
      },
    });
    let { body } = await metrics.render();
    expect(reads).toBe(1);
    expect(sample(body, 'distill_outbox_pending')).toBe(3);
    expect(sample(body, 'distill_outbox_lag_seconds')).toBe(2.5);

    backlog = { pending: 0, oldestCreatedAt: null };
    ({ body } = await metrics.render());
    expect(reads).toBe(2);
    expect(sample(body, 'distill_outbox_pending')).toBe(0);
    expect(sample(body, 'distill_outbox_lag_seconds')).toBe(0);
  });

  it('keeps the last outbox values and names the metric when a read fails', async () => {
    const failures: string[] = [];
    let isDown = false;
    const metrics = createMetrics({
      hasDefaultMetrics: false,
      now: () => 5000,
      outbox: () =>
        isDown
          ? Promise.reject(new Error('database down'))
          : Promise.resolve({ pending: 2, oldestCreatedAt: 4000 }),
      onError: (_error, metric) => failures.push(metric),
    });
    await metrics.render();
    isDown = true;
    const { body } = await metrics.render();
    expect(failures).toEqual(['distill_outbox_pending']);
    expect(sample(body, 'distill_outbox_pending')).toBe(2);
    expect(sample(body, 'distill_outbox_lag_seconds')).toBe(1);
  });

  it('observes host waits that got the slot and counts the ones that were rescheduled', async () => {
    const metrics = createMetrics({ hasDefaultMetrics: false });
    metrics.observeHostWait(0, 'acquired');
    metrics.observeHostWait(300, 'acquired');
    metrics.observeHostWait(5, 'rescheduled');
    const { body } = await metrics.render();
    expect(sample(body, 'distill_host_limiter_wait_seconds_count')).toBe(2);
    expect(sample(body, 'distill_host_limiter_wait_seconds_sum')).toBeCloseTo(0.3);
    expect(sample(body, 'distill_host_limiter_reschedules_total')).toBe(1);
  });
});
