import { describe, expect, it } from 'vitest';
import { Retention } from '../../src/retention/index.js';
import { createTestStore, FakeClock, fakeDocument, seedJob } from '../helpers/store.js';

describe('Retention', () => {
  it('deletes old finished jobs and orphaned documents in batches, in one process per interval', async () => {
    const clock = new FakeClock();
    const store = await createTestStore({ clock });
    try {
      const finishAll = async (): Promise<void> => {
        for (const item of await store.repository.claimBatch(1000, 60_000)) {
          await store.repository.finishAttempt(item, {
            kind: 'succeeded',
            document: fakeDocument(item.url, clock.now()),
          });
        }
      };
      const oldJob = await seedJob(store.repository, 12, { host: 'old.test' });
      await finishAll();
      clock.advance(40 * 86_400_000);
      const recentJob = await seedJob(store.repository, 3, { host: 'new.test' });
      await finishAll();

      const day = 86_400_000;
      const a = new Retention({
        store: store.repository,
        maxAgeMs: 30 * day,
        clock,
        batchSize: 5,
        holder: 'a',
      });
      const b = new Retention({
        store: store.repository,
        maxAgeMs: 30 * day,
        clock,
        batchSize: 5,
        holder: 'b',
      });
      expect(await a.runOnce()).toEqual({ jobs: 1, items: 12, documents: 12 });
      // b finds the lease taken for this interval.
      expect(await b.runOnce()).toEqual({ jobs: 0, items: 0, documents: 0 });
      expect(await store.repository.getJob(oldJob)).toBeNull();
      expect(await store.repository.getJob(recentJob)).not.toBeNull();
      expect(await store.repository.getDocumentByUrl('https://new.test/page/0')).not.toBeNull();
      expect(
        await new Retention({ store: store.repository, maxAgeMs: 0, clock }).runOnce({ force: true }),
      ).toEqual({ jobs: 0, items: 0, documents: 0 });
      await a.stop();
      await b.stop();
    } finally {
      await store.close();
    }
  });
});
