import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildApi, createMetrics, createReadiness } from '../../src/api/index.js';
import { JobsService } from '../../src/jobs/index.js';
import { EmbeddedQueue } from '../../src/queue/index.js';
import { expectHealthy } from '../helpers/api-harness.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { defaultOptions } from '../helpers/store.js';
import { eventsApiOf } from './property-fixture.js';
import { expectSoundAnswer, type Probe } from './property-generators.js';

/**
 * Integers JSON and query strings carry beyond 2^53 and beyond a SQL `bigint`: SQLite compares
 * them as reals, PostgreSQL and MySQL refuse the statement. Whatever the database, the answer is a
 * 2xx or a 4xx problem, never a database error turned 500.
 */
const DATABASES = await Promise.all(
  (['sqlite', 'postgres', 'mysql'] as const).map((name) => databaseBackend(name)),
);

for (const backend of DATABASES) {
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(
      `API (properties) on ${backend.name}: huge integers in options, cursors and event ids`,
      backend.skipReason,
    ),
    () => {
      it('answers huge maxAge, after and lastEventId with a 2xx or a 4xx problem', async () => {
        const db = await backend.open();
        const queue = new EmbeddedQueue(db.repository);
        const jobs = new JobsService({ repository: db.repository, queue, defaults: defaultOptions });
        const app = buildApi(
          {
            jobs,
            repository: db.repository,
            metrics: createMetrics({ depth: () => queue.depth(), hasDefaultMetrics: false }),
            readiness: createReadiness({
              database: () => db.repository.countItemsByState(),
              queue: () => queue.depth(),
            }),
            events: eventsApiOf(db.repository),
          },
          { eventPollMs: 10 },
        );
        try {
          await app.ready();
          const submitted = await app.inject({
            method: 'POST',
            url: '/v1/jobs',
            payload: { urls: ['http://127.0.0.1:9/big'] },
          });
          expect(submitted.statusCode).toBe(202);
          const jobId = submitted.json<{ job: { id: string } }>().job.id;
          // Cancelled with nothing running, the job is final: its event stream ends at once.
          expect((await app.inject({ method: 'POST', url: `/v1/jobs/${jobId}/cancel` })).statusCode).toBe(
            200,
          );

          const digits = fc.oneof(
            fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
            fc.constantFrom(
              '9007199254740991',
              '9007199254740993',
              '9223372036854775807',
              '9223372036854775808',
              `1${'0'.repeat(20)}`,
              '1e20',
            ),
          );
          const probesOf = (n: string): Probe[] => [
            {
              method: 'POST',
              url: '/v1/jobs',
              payload: `{"urls":["http://127.0.0.1:9/big"],"options":{"maxAge":${n}}}`,
              headers: { 'content-type': 'application/json' },
            },
            {
              method: 'POST',
              url: `/v1/jobs?maxAge=${n}`,
              payload: 'http://127.0.0.1:9/big\n',
              headers: { 'content-type': 'text/plain' },
            },
            { method: 'GET', url: `/v1/events?after=${n}` },
            { method: 'GET', url: `/v1/jobs/${jobId}/events?lastEventId=${n}` },
          ];
          await fc.assert(
            fc.asyncProperty(
              digits.chain((n) => fc.constantFrom(...probesOf(n))),
              async (p) => {
                expectSoundAnswer(p, await app.inject(p));
              },
            ),
            // Each was a 500 on PostgreSQL ("out of range for type bigint") before the fix.
            { numRuns: 40, examples: probesOf('9223372036854775808').map((p) => [p]) },
          );
          await expectHealthy(app);
        } finally {
          await app.close();
        }
      });
    },
  );
}
