import { describe, expect, it } from 'vitest';
import { OutboxRelay, type EventSink } from '../../src/events/index.js';
import type { StoredEvent } from '../../src/jobs/index.js';
import type { DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { fakeDocument, FakeClock, seedJob, waitFor } from '../helpers/store.js';

/** A sink that records what it was given, and fails while `isDown`. */
class RecordingSink implements EventSink {
  readonly name = 'recording';
  readonly received: StoredEvent[] = [];
  isDown = false;
  failures = 0;
  publish(events: readonly StoredEvent[]): Promise<void> {
    if (this.isDown) {
      this.failures++;
      return Promise.reject(new Error('the sink is down'));
    }
    this.received.push(...events);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const fast = { pollIntervalMs: 10, backoff: { baseMs: 10, maxMs: 50 }, drainTimeoutMs: 500 };

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`outbox relay on ${name}`, backend.skipReason),
    () => {
      it('lets one relay per database hold the lease; a standby takes over when it expires or is released', async () => {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const other = db.connect({ clock });
        expect(await db.repository.acquireLease('outbox-relay', 'a', 1000)).toBe(true);
        expect(await other.repository.acquireLease('outbox-relay', 'b', 1000)).toBe(false);
        clock.advance(900);
        expect(await db.repository.acquireLease('outbox-relay', 'a', 1000)).toBe(true); // renewed
        clock.advance(900);
        expect(await other.repository.acquireLease('outbox-relay', 'b', 1000)).toBe(false); // still a's
        clock.advance(200);
        expect(await other.repository.acquireLease('outbox-relay', 'b', 1000)).toBe(true); // expired: b takes it
        expect(await db.repository.acquireLease('outbox-relay', 'a', 1000)).toBe(false);
        await other.repository.releaseLease('outbox-relay', 'b');
        expect(await db.repository.acquireLease('outbox-relay', 'a', 1000)).toBe(true); // released: at once
        // Two processes racing for a lease that does not exist yet: exactly one wins.
        const raced = await Promise.all([
          db.repository.acquireLease('other', 'a', 1000),
          other.repository.acquireLease('other', 'b', 1000),
        ]);
        expect(raced.filter(Boolean)).toHaveLength(1);
      });

      it('publishes every event once, in id order, through a leader; the standby takes over when the leader stops', async () => {
        const db = await backend.open();
        const first = new RecordingSink();
        const second = new RecordingSink();
        const leader = new OutboxRelay({
          store: db.repository,
          sinks: [first],
          holder: 'leader',
          leaseMs: 600,
          batchSize: 7,
          ...fast,
        });
        leader.start();
        await waitFor(() => leader.isLeader, 5000, 'the leader');
        const standby = new OutboxRelay({
          store: db.connect().repository,
          sinks: [second],
          holder: 'standby',
          leaseMs: 600,
          batchSize: 7,
          ...fast,
        });
        standby.start();
        const jobA = await seedJob(db.repository, 20, { host: 'a.example' });
        const jobB = await seedJob(db.repository, 20, { host: 'b.example' });
        await waitFor(
          async () => (await db.repository.listUnpublishedEvents(10)).length === 0,
          10_000,
          'the outbox to empty',
        );
        expect(second.received).toEqual([]);
        const log = await db.repository.listEvents({ afterId: 0, limit: 1000 }); // no settle window
        expect(first.received.map((e) => e.id)).toEqual(log.map((e) => e.id));
        expect(log.map((e) => e.jobId)).toEqual(expect.arrayContaining([jobA, jobB]));

        await leader.stop();
        await seedJob(db.repository, 3, { host: 'c.example' });
        await waitFor(() => second.received.length > 0, 10_000, 'the standby to publish');
        await waitFor(
          async () => (await db.repository.listUnpublishedEvents(10)).length === 0,
          10_000,
          'the outbox to empty again',
        );
        expect(first.received.length + second.received.length).toBe(
          (await db.repository.listEvents({ afterId: 0, limit: 1000 })).length,
        );
        await standby.stop();
      });

      it('keeps events in the outbox while a sink is down and publishes them, in order, when it is back', async () => {
        const db = await backend.open();
        const sink = new RecordingSink();
        sink.isDown = true;
        const relay = new OutboxRelay({ store: db.repository, sinks: [sink], batchSize: 5, ...fast });
        relay.start();
        const jobId = await seedJob(db.repository, 12);
        await waitFor(() => sink.failures >= 3, 10_000, 'a few failed tries');
        expect((await db.repository.listUnpublishedEvents(100)).length).toBeGreaterThan(0);
        sink.isDown = false;
        relay.notify();
        await waitFor(
          async () => (await db.repository.listUnpublishedEvents(10)).length === 0,
          10_000,
          'the outbox to empty',
        );
        const ids = sink.received.map((e) => e.id);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).toBe(ids.length);
        expect(sink.received.every((e) => e.jobId === jobId)).toBe(true);
        await relay.stop();
      });

      it('filters the event log by type, and deletes only published events past retention', async () => {
        const clock = new FakeClock(Date.now() - 10_000); // old enough for the log's settle window
        const db = await backend.open({ clock });
        const jobId = await seedJob(db.repository, 2);
        const [one, two] = await db.repository.claimBatch(2, 10_000);
        await db.repository.finishAttempt(one!, { kind: 'succeeded', document: fakeDocument(one!.url) });
        await db.repository.finishAttempt(two!, {
          kind: 'failed',
          error: { code: 'http_error', message: 'HTTP 404' },
        });
        // PostgreSQL/MySQL hold back events younger than the settle window (a commit may still land below them).
        if (name !== 'sqlite')
          expect(await db.repository.listEventLog({ afterId: 0, limit: 100 })).toEqual([]);
        clock.advance(1500);
        const types = async (t: string[]): Promise<string[]> =>
          (await db.repository.listEventLog({ afterId: 0, types: t, limit: 100 })).map((e) => e.type);
        expect(await types([])).toEqual([
          'job.created',
          'document.extracted',
          'item.failed',
          'job.completed',
        ]);
        expect(await types(['job.*'])).toEqual(['job.created', 'job.completed']);
        expect(await types(['item.failed', 'document.*'])).toEqual(['document.extracted', 'item.failed']);
        const all = await db.repository.listEventLog({ afterId: 0, jobId, limit: 100 });
        await db.repository.markEventsPublished(all.slice(0, 2).map((e) => e.id));
        clock.advance(5000);
        expect(await db.repository.deleteExpiredEvents(clock.now() - 1000, 1)).toBe(1);
        expect(await db.repository.deleteExpiredEvents(clock.now() - 1000, 10)).toBe(1);
        expect(await db.repository.deleteExpiredEvents(clock.now() - 1000, 10)).toBe(0); // unpublished stay
        expect((await db.repository.listEventLog({ afterId: 0, limit: 100 })).map((e) => e.type)).toEqual([
          'item.failed',
          'job.completed',
        ]);
      });
    },
  );
}
