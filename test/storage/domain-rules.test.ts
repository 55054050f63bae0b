/**
 * Per-tenant domain rules (issue 20, migration 0013) on every database backend: put creates then
 * replaces, each tenant sees only its own, delete says whether there was one, and a job's tenant
 * is found for the workers.
 */
import { describe, expect, it } from 'vitest';
import { KyselyJobRepository, type DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions } from '../helpers/store.js';

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`domain rules on ${name}`, backend.skipReason),
    () => {
      it("creates, replaces, lists per tenant and deletes rules; finds a job's tenant", async () => {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const repository = new KyselyJobRepository({ db: db.handle.db, dialect: db.handle.dialect, clock });
        const store = repository.domainRules;
        const sealed = { box: 'v1.sealed-box', headerNames: ['Authorization'], cookies: [] };
        expect(
          await store.putDomainRule('acme', {
            pattern: '*.example.com',
            ratePerSecond: 1.5,
            sealedHeaders: sealed,
          }),
        ).toBe('created');
        clock.advance(1000);
        expect(await store.putDomainRule('acme', { pattern: '*.example.com', concurrency: 2 })).toBe(
          'replaced',
        );
        expect(await store.putDomainRule('acme', { pattern: 'a.example.com', robots: 'ignore' })).toBe(
          'created',
        );
        expect(await store.putDomainRule('other', { pattern: '*.example.com', render: 'always' })).toBe(
          'created',
        );
        const acme = await store.listStoredDomainRules('acme');
        expect(acme.map((r) => r.rule)).toEqual([
          { pattern: '*.example.com', concurrency: 2 },
          { pattern: 'a.example.com', robots: 'ignore' },
        ]);
        expect(acme[0]!.updatedAt - acme[0]!.createdAt).toBe(1000);
        expect(await store.countDomainRules('acme')).toBe(2);
        expect((await store.getDomainRule('other', '*.example.com'))?.rule.render).toBe('always');
        expect(await store.getDomainRule('nobody', '*.example.com')).toBeNull();
        expect(await store.deleteDomainRule('acme', 'a.example.com')).toBe(true);
        expect(await store.deleteDomainRule('acme', 'a.example.com')).toBe(false);
        expect(await store.listDomainRules('acme')).toEqual([{ pattern: '*.example.com', concurrency: 2 }]);
        const id = crypto.randomUUID();
        await repository.createJob({ id, options: defaultOptions, webhook: null, tenant: 'acme' });
        expect(await store.tenantOfJob(id)).toBe('acme');
        expect(await store.tenantOfJob(crypto.randomUUID())).toBeNull();
      });
    },
  );
}
