/**
 * Adding items in multi-row inserts (issue 16), on every database backend: batches larger than one
 * statement, duplicates within a batch and against the job's earlier batches (across the inserts'
 * chunk boundaries), seqs that stay dense and in submission order, and the counters.
 */
import { describe, expect, it } from 'vitest';
import { KyselyJobRepository, type DialectName } from '../../src/storage/index.js';
import { statementSizes } from '../../src/storage/stores/bulk-insert.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions } from '../helpers/store.js';

const url = (i: number): string => `https://example.com/page/${i}`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('statementSizes', () => {
  it('splits rows into full statements and descending powers of two, within the parameter limit', () => {
    expect(statementSizes(1203, 16)).toEqual([500, 500, 128, 64, 8, 2, 1]);
    expect(statementSizes(500, 16)).toEqual([500]);
    expect(statementSizes(1, 16)).toEqual([1]);
    expect(statementSizes(0, 16)).toEqual([]);
    // 100 columns: at most 327 rows keep a statement under 32,766 parameters.
    expect(statementSizes(700, 100)).toEqual([327, 327, 32, 8, 4, 2]);
  });
});

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`adding items on ${name}`, backend.skipReason),
    () => {
      async function open() {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const repository = new KyselyJobRepository({ db: db.handle.db, dialect: db.handle.dialect, clock });
        const id = crypto.randomUUID();
        await repository.createJob({ id, options: defaultOptions, webhook: null });
        return { repository, id };
      }

      async function allItems(repository: KyselyJobRepository, jobId: string) {
        const items = [];
        let cursor: string | undefined;
        do {
          const page = await repository.listItems(jobId, { limit: 1000, cursor });
          items.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return items.map((item) => [item.seq, item.url, item.state]);
      }

      it('writes a batch of several statements with dense seqs in order, and skips what repeats an earlier batch across chunk boundaries', async () => {
        const { repository, id } = await open();
        // 1,203 URLs: two full statements and a remainder of four, the 7th URL given twice.
        const first = await repository.addItems(
          id,
          [...range(0, 1203), 7].map((i) => ({ url: url(i) })),
        );
        expect(first).toMatchObject({ added: 1203, duplicates: 1, reused: 0 });
        expect(first.queued.map((ref) => ref.seq)).toEqual(range(0, 1203));

        // Repeats from the first batch's first, second and last statements, in the middle of new URLs.
        const repeated = [3, 499, 500, 999, 1000, 1202];
        const second = await repository.addItems(
          id,
          [...range(1203, 1500), ...repeated, ...range(1500, 1800), 1600].map((i) => ({ url: url(i) })),
        );
        expect(second).toMatchObject({ added: 597, duplicates: 7, reused: 0 });
        expect(second.queued.map((ref) => ref.seq)).toEqual(range(1203, 1800));

        // A batch with no repeat takes the straight path and continues the seqs.
        const third = await repository.addItems(
          id,
          range(1800, 1810).map((i) => ({ url: url(i) })),
        );
        expect(third).toMatchObject({ added: 10, duplicates: 0 });
        expect(third.queued.map((ref) => ref.seq)).toEqual(range(1800, 1810));

        // Nothing new at all: nothing is added, and the job is as it was.
        const fourth = await repository.addItems(
          id,
          [0, 1799, 1809].map((i) => ({ url: url(i) })),
        );
        expect(fourth).toMatchObject({ added: 0, duplicates: 3, queued: [] });

        const job = await repository.getJob(id);
        expect(job).toMatchObject({
          total: 1810,
          counts: { queued: 1810, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
        });
        expect(await allItems(repository, id)).toEqual(range(0, 1810).map((i) => [i, url(i), 'queued']));
      });

      it('adds only the new URL of a small batch that repeats the first and the last of an earlier one', async () => {
        const { repository, id } = await open();
        await repository.addItems(
          id,
          range(0, 600).map((i) => ({ url: url(i) })),
        );
        const again = await repository.addItems(id, [{ url: url(599) }, { url: url(600) }, { url: url(0) }]);
        expect(again).toMatchObject({ added: 1, duplicates: 2 });
        expect(again.queued).toEqual([{ jobId: id, seq: 600 }]);
        expect((await repository.getJob(id))?.total).toBe(601);
      });
    },
  );
}
