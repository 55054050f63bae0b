/**
 * Issue 9 in storage, on every database backend: crawl pages append their links in the
 * transaction that records them (depth, maxDepth, maxPages, dedupe, completion, cancel), change
 * detection (versions, `document.changed`, 304), and retention in small batches.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimedItem, CrawlSettings, JobOptions, NewDocument } from '../../src/jobs/index.js';
import { KyselyJobRepository, type DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions, fakeDocument } from '../helpers/store.js';

const crawl = (overrides: Partial<CrawlSettings> = {}): CrawlSettings => ({
  url: 'https://site.test/',
  maxDepth: 2,
  maxPages: 100,
  include: [],
  exclude: [],
  sameSite: true,
  useSitemap: false,
  ...overrides,
});

function doc(url: string, text: string, clock: FakeClock): NewDocument {
  return { ...fakeDocument(url, clock.now()), text, wordCount: text.split(/\s+/).length };
}

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`issue 9 storage on ${name}`, backend.skipReason),
    () => {
      async function open(options: { documentVersions?: number } = {}) {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const repository = new KyselyJobRepository({
          db: db.handle.db,
          dialect: db.handle.dialect,
          clock,
          ...options,
        });
        return { db, repository, clock };
      }

      async function startJob(
        repository: KyselyJobRepository,
        options: Partial<JobOptions>,
        urls: string[],
      ): Promise<string> {
        const id = crypto.randomUUID();
        await repository.createJob({ id, options: { ...defaultOptions, ...options }, webhook: null });
        await repository.addItems(
          id,
          urls.map((url) => ({ url })),
        );
        return id;
      }

      async function claimAll(repository: KyselyJobRepository): Promise<ClaimedItem[]> {
        return repository.claimBatch(1000, 60_000);
      }

      it('appends a crawl page’s links at depth + 1 in the transaction that records it, once per URL, within maxDepth and maxPages', async () => {
        const { repository, clock } = await open();
        const jobId = await startJob(repository, { crawl: crawl({ maxDepth: 2, maxPages: 6 }) }, [
          'https://site.test/',
        ]);
        const [root] = await claimAll(repository);
        const links = [
          'https://site.test/a',
          'https://site.test/b',
          'https://site.test/',
          'https://site.test/a',
        ];
        const first = await repository.recordAttempt(root!, {
          kind: 'succeeded',
          document: doc(root!.url, 'root', clock),
          discovered: links,
        });
        expect(first.isRecorded).toBe(true);
        expect(first.queued.map((r) => r.seq)).toEqual([1, 2]);
        let job = (await repository.getJob(jobId))!;
        // The root succeeded but its links wait: the job is not complete.
        expect(job.status).toBe('running');
        expect(job.counts).toMatchObject({ queued: 2, running: 0, succeeded: 1 });
        expect(job.total).toBe(3);

        const [a, b] = await claimAll(repository);
        // Depth 1 → its links at depth 2; maxPages 6 leaves room for 3 more items in all.
        const fromA = await repository.recordAttempt(a!, {
          kind: 'succeeded',
          document: doc(a!.url, 'a', clock),
          discovered: [
            'https://site.test/b',
            'https://site.test/c',
            'https://site.test/d',
            'https://site.test/e',
            'https://site.test/f',
          ],
        });
        expect(fromA.queued).toHaveLength(3);
        expect((await repository.getJob(jobId))!.total).toBe(6);
        const fromB = await repository.recordAttempt(b!, {
          kind: 'succeeded',
          document: doc(b!.url, 'b', clock),
          discovered: ['https://site.test/g'],
        });
        expect(fromB.queued).toEqual([]);

        // Depth 2 = maxDepth: their links are not followed.
        const deep = await claimAll(repository);
        expect(deep).toHaveLength(3);
        const { items } = await repository.listItems(jobId, { limit: 100 });
        expect(items.map((i) => i.url)).toEqual([
          'https://site.test/',
          'https://site.test/a',
          'https://site.test/b',
          'https://site.test/c',
          'https://site.test/d',
          'https://site.test/e',
        ]);
        for (const item of deep) {
          const result = await repository.recordAttempt(item, {
            kind: 'succeeded',
            document: doc(item.url, item.url, clock),
            discovered: ['https://site.test/z'],
          });
          expect(result.queued).toEqual([]);
        }
        job = (await repository.getJob(jobId))!;
        expect(job.status).toBe('completed');
        expect(job.counts).toMatchObject({ queued: 0, running: 0, succeeded: 6 });
        const events = await repository.listEvents({ jobId, afterId: 0, limit: 100 });
        expect(events.filter((e) => e.type === 'job.completed')).toHaveLength(1);
        expect(events.at(-1)!.type).toBe('job.completed');
      });

      it('appends nothing to a cancelled crawl, and never to a job that is not a crawl', async () => {
        const { repository, clock } = await open();
        const crawlId = await startJob(repository, { crawl: crawl() }, ['https://site.test/']);
        const plainId = await startJob(repository, {}, ['https://other.test/']);
        const claimed = await claimAll(repository);
        await repository.cancelJob(crawlId);
        for (const item of claimed) {
          const result = await repository.recordAttempt(item, {
            kind: 'succeeded',
            document: doc(item.url, 'x', clock),
            discovered: ['https://site.test/a'],
          });
          expect(result.queued).toEqual([]);
        }
        expect((await repository.getJob(crawlId))!.total).toBe(1);
        expect((await repository.getJob(plainId))!).toMatchObject({ total: 1, status: 'completed' });
      });

      it('keeps a version and emits document.changed only when the main text changes; a 304 refreshes fetchedAt', async () => {
        const { repository, clock } = await open({ documentVersions: 2 });
        const url = 'https://site.test/watched';
        const texts = ['one\ntwo\nthree', 'one\ntwo\nthree', 'one\nTWO\nthree\nfour', 'v3', 'v4'];
        let jobId = '';
        for (const text of texts) {
          clock.advance(60_000);
          jobId = await startJob(repository, { formats: ['text'] }, [url]);
          const [item] = await claimAll(repository);
          await repository.recordAttempt(item!, { kind: 'succeeded', document: doc(url, text, clock) });
        }
        const stored = (await repository.getDocumentByUrl(url))!;
        const { current, versions } = await repository.listDocumentVersions(stored.id, { limit: 10 });
        // Four distinct texts: version 4; the last two earlier versions kept (documentVersions 2).
        expect(current!.version).toBe(4);
        expect(versions.map((v) => v.version)).toEqual([3, 2]);
        expect(versions[1]).toMatchObject({ text: 'one\nTWO\nthree\nfour' });
        const changed = (await repository.listEvents({ afterId: 0, limit: 1000 })).filter(
          (e) => e.type === 'document.changed',
        );
        expect(changed).toHaveLength(3);
        expect(changed[0]!.payload).toMatchObject({
          documentId: stored.id,
          version: 2,
          changes: {
            oldWordCount: 3,
            newWordCount: 4,
            addedLines: 2,
            removedLines: 1,
            added: ['TWO', 'four'],
            removed: ['two'],
          },
        });

        // A 304: same document, fetchedAt refreshed, no version, no event.
        clock.advance(60_000);
        jobId = await startJob(repository, { formats: ['text'] }, [url]);
        const [item] = await claimAll(repository);
        const notModified = { ...doc(url, 'whatever the worker had', clock), etag: '"v5"' };
        await repository.recordAttempt(item!, {
          kind: 'succeeded',
          isNotModified: true,
          document: notModified,
        });
        const after = (await repository.getDocumentByUrl(url))!;
        expect(after).toMatchObject({ id: stored.id, text: 'v4', fetchedAt: clock.now() });
        expect((await repository.getDocumentValidators(url))!).toMatchObject({
          documentId: stored.id,
          etag: '"v5"',
        });
        expect((await repository.listDocumentVersions(stored.id, { limit: 10 })).current!.version).toBe(4);
        expect(
          (await repository.listEvents({ afterId: 0, limit: 1000 })).filter(
            (e) => e.type === 'document.changed',
          ),
        ).toHaveLength(3);
        expect((await repository.listResults(jobId, { limit: 10 })).items[0]!.document.id).toBe(stored.id);
      });

      it('deletes jobs finished before the cut-off in small batches, then orphaned documents; recent ones stay', async () => {
        const { repository, clock } = await open();
        const finish = async (jobId: string): Promise<void> => {
          for (const item of await claimAll(repository)) {
            await repository.recordAttempt(item, {
              kind: 'succeeded',
              document: doc(item.url, item.url, clock),
            });
          }
          expect((await repository.getJob(jobId))!.status).toBe('completed');
        };
        const oldUrls = Array.from({ length: 7 }, (_, i) => `https://old.test/${i}`);
        const oldJob = await startJob(repository, {}, oldUrls);
        await finish(oldJob);
        // A recent job that shares one URL with the old one keeps that document.
        clock.advance(10 * 86_400_000);
        const cutoff = clock.now() - 1000;
        const recentJob = await startJob(repository, {}, ['https://old.test/0', 'https://new.test/a']);
        await finish(recentJob);

        const steps: Array<{ jobs: number; items: number }> = [];
        for (;;) {
          const step = await repository.deleteExpiredJobs(cutoff, 3);
          if (step.jobs === 0 && step.items === 0) break;
          steps.push(step);
        }
        expect(steps.map((s) => s.items)).toEqual([3, 3, 1, 0].slice(0, steps.length));
        expect(steps.reduce((n, s) => n + s.jobs, 0)).toBe(1);
        expect(await repository.getJob(oldJob)).toBeNull();
        expect(await repository.getJob(recentJob)).not.toBeNull();

        let orphans = 0;
        for (
          let n = await repository.deleteOrphanDocuments(clock.now() + 1, 4);
          n > 0;
          n = await repository.deleteOrphanDocuments(clock.now() + 1, 4)
        )
          orphans += n;
        expect(orphans).toBe(6);
        expect(await repository.getDocumentByUrl('https://old.test/0')).not.toBeNull();
        expect(await repository.getDocumentByUrl('https://old.test/1')).toBeNull();
        expect(await repository.getDocumentByUrl('https://new.test/a')).not.toBeNull();
      });

      it('records a schedule run only while the schedule is still due at that time', async () => {
        const { repository, clock } = await open();
        const schedule = await repository.createSchedule({
          id: crypto.randomUUID(),
          tenant: 'default',
          name: null,
          status: 'active',
          cron: null,
          intervalSeconds: 60,
          timezone: 'UTC',
          template: { kind: 'urls', urls: ['https://site.test/'], options: {}, webhook: null },
          nextRunAt: clock.now(),
        });
        expect(await repository.listDueSchedules(clock.now(), 10)).toHaveLength(1);
        expect(
          await repository.recordScheduleRun(schedule.id, clock.now(), {
            nextRunAt: clock.now() + 60_000,
            jobId: 'j1',
            error: null,
          }),
        ).toBe(true);
        expect(
          await repository.recordScheduleRun(schedule.id, clock.now(), {
            nextRunAt: clock.now() + 60_000,
            jobId: 'j2',
            error: null,
          }),
        ).toBe(false);
        expect(await repository.getSchedule(schedule.id)).toMatchObject({
          runs: 1,
          lastJobId: 'j1',
          nextRunAt: clock.now() + 60_000,
        });
        expect(await repository.listDueSchedules(clock.now(), 10)).toHaveLength(0);
      });
    },
  );
}
