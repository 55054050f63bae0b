import { describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { defaultOptions } from '../helpers/store.js';

// The query behind distill_outbox_pending and distill_outbox_lag_seconds, on every database.
for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`outbox backlog: ${name}`, backend.skipReason),
    () => {
      it("counts unpublished events up to the limit and gives the oldest one's time, none once published", async () => {
        let now = 1_000_000;
        const { repository } = await backend.open({ clock: { now: () => now } });
        expect(await repository.outboxBacklog()).toEqual({ pending: 0, oldestCreatedAt: null });

        for (let i = 0; i < 3; i++) {
          await repository.createJob({ id: crypto.randomUUID(), options: defaultOptions, webhook: null });
          now += 1000;
        }
        const events = await repository.listUnpublishedEvents(100);
        expect(events.length).toBeGreaterThanOrEqual(3);
        expect(await repository.outboxBacklog()).toEqual({
          pending: events.length,
          oldestCreatedAt: 1_000_000,
        });
        expect(await repository.outboxBacklog(2)).toEqual({ pending: 2, oldestCreatedAt: 1_000_000 });

        await repository.markEventsPublished([events[0]!.id]);
        expect(await repository.outboxBacklog()).toEqual({
          pending: events.length - 1,
          oldestCreatedAt: events[1]!.createdAt,
        });
        await repository.markEventsPublished(events.map((e) => e.id));
        expect(await repository.outboxBacklog()).toEqual({ pending: 0, oldestCreatedAt: null });
      });
    },
  );
}
