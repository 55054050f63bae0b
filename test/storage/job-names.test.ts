/**
 * Job names and the jobs list's search (issue 22), on every database backend: a given name is kept,
 * a job without one is called after its first URL and count, and `listJobs({ query })` finds jobs
 * by part of their name or first URL, or by any one of their URLs, within the tenant.
 */
import { describe, expect, it } from 'vitest';
import { displayJobName } from '../../src/jobs/index.js';
import { KyselyJobRepository, type DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions } from '../helpers/store.js';

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`job names on ${name}`, backend.skipReason),
    () => {
      async function open() {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const repository = new KyselyJobRepository({ db: db.handle.db, dialect: db.handle.dialect, clock });
        return { repository, clock };
      }

      async function makeJob(
        repository: KyselyJobRepository,
        clock: FakeClock,
        urls: string[],
        extra: { name?: string; tenant?: string } = {},
      ): Promise<string> {
        clock.advance(1000);
        const id = crypto.randomUUID();
        await repository.createJob({ id, options: defaultOptions, webhook: null, ...extra });
        await repository.addItems(
          id,
          urls.map((url) => ({ url })),
        );
        return id;
      }

      it('keeps a given name, and names a job without one after its first URL and how many more it has', async () => {
        const { repository, clock } = await open();
        const named = await makeJob(repository, clock, ['https://docs.site.test/a'], {
          name: 'Docs refresh – ünïcode',
        });
        const many = await makeJob(
          repository,
          clock,
          Array.from({ length: 42 }, (_, i) => `https://example.com/p${i}`),
        );
        const one = await makeJob(repository, clock, ['https://one.test:8080/x']);
        const namedJob = (await repository.getJob(named))!;
        expect(namedJob.name).toBe('Docs refresh – ünïcode');
        expect(displayJobName(namedJob)).toBe('Docs refresh – ünïcode');
        const manyJob = (await repository.getJob(many))!;
        expect(manyJob.firstUrl).toBe('https://example.com/p0');
        expect(displayJobName(manyJob)).toBe('example.com +41');
        // A later append does not change the first URL; the count follows the job.
        await repository.addItems(one, [{ url: 'https://other.test/' }]);
        expect(displayJobName((await repository.getJob(one))!)).toBe('one.test:8080 +1');
      });

      it('finds jobs by part of their name or first URL, any case, and by a whole URL they hold, within the tenant', async () => {
        const { repository, clock } = await open();
        const docs = await makeJob(
          repository,
          clock,
          ['https://docs.site.test/start', 'https://docs.site.test/deep/page'],
          { name: 'Weekly DOCS run' },
        );
        const shop = await makeJob(repository, clock, ['https://shop.test/', 'https://shop.test/cart?id=1']);
        const percent = await makeJob(repository, clock, ['https://p.test/'], { name: '100% done_now' });
        await makeJob(repository, clock, ['https://shop.test/'], { name: 'Weekly docs run', tenant: 'acme' });
        const ids = async (query: string, tenant = 'default') =>
          (await repository.listJobs({ limit: 10, query, tenant })).items.map((j) => j.id);
        expect(await ids('docs')).toEqual([docs]);
        expect(await ids('SHOP.TEST')).toEqual([shop]);
        // Not the first URL, but one of the job's URLs, given whole.
        expect(await ids('https://shop.test/cart?id=1')).toEqual([shop]);
        expect(await ids('https://docs.site.test/deep/page')).toEqual([docs]);
        // LIKE's wildcards are matched as themselves.
        expect(await ids('100%')).toEqual([percent]);
        expect(await ids('%')).toEqual([percent]);
        expect(await ids('e_d')).toEqual([]);
        expect(await ids('nothing like it')).toEqual([]);
        // Another tenant's job with the same name and URL stays out; that tenant sees its own.
        expect(await ids('weekly')).toEqual([docs]);
        expect(await ids('weekly', 'acme')).toHaveLength(1);
        // With a status and a cursor, the search pages like the plain list.
        const first = await repository.listJobs({
          limit: 1,
          query: 'test',
          tenant: 'default',
          status: 'queued',
        });
        expect(first.items.map((j) => j.id)).toEqual([percent]);
        const second = await repository.listJobs({
          limit: 5,
          query: 'test',
          tenant: 'default',
          status: 'queued',
          cursor: first.nextCursor!,
        });
        expect(second.items.map((j) => j.id)).toEqual([shop, docs]);
      });
    },
  );
}
