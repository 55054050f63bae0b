import type { LookupAddress } from 'node:dns';
import type fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { buildApi, createMetrics, createReadiness } from '../../src/api/index.js';
import type { EventsApi } from '../../src/api/index.js';
import { CrawlsService } from '../../src/crawls/index.js';
import { checkWebhookUrl } from '../../src/events/sinks/webhook/index.js';
import { parseAllowList } from '../../src/fetch/index.js';
import { JobsService } from '../../src/jobs/index.js';
import { SchedulesService } from '../../src/schedules/index.js';
import type { KyselyJobRepository } from '../../src/storage/index.js';
import { WorkerPool, type TaskFunction } from '../../src/worker/index.js';
import { createTestStore, defaultOptions, fakeDocument, waitFor, type TestStore } from '../helpers/store.js';
import { expectHealthy } from '../helpers/api-harness.js';
import { expectSoundAnswer, idOf, MAX_REQUEST_BYTES, type Probe } from './property-generators.js';

/**
 * The fixture and generators of the API property tests (property-*.test.ts): arbitrary bodies,
 * content types, query strings, path ids and headers on every route. Whatever comes in, the answer
 * is under 500; a 4xx is an `application/problem+json` whose `code` is documented and whose
 * `status` is the HTTP status; a 2xx body parses. After each property the server still answers
 * `/healthz` and takes a valid job.
 *
 * The API is the embedded one over a real SQLite store, with every optional route group (events,
 * webhooks, crawls, schedules, document versions, screenshots). No request leaves the machine: the
 * worker pool runs a task that makes a document without fetching, nothing publishes webhooks, and
 * webhook URLs are checked with a resolver that never asks DNS. fast-check prints the seed and the
 * shrunk request of a failure; `fc.assert(..., { seed, path })` replays it.
 */

/** Runs per property: enough variety, and the file stays well under a minute on two cores. */
export const RUNS = 150;
export const MAX_URLS_PER_REQUEST = 40;

/** Every URL succeeds with a made-up document: nothing is fetched. */
export const makeDocument: TaskFunction = (item) =>
  Promise.resolve({ kind: 'succeeded', document: fakeDocument(item.url) });

/** A resolver that never leaves the process: `*.internal` is private, any other name is unresolvable. */
export function offlineLookup(hostname: string): Promise<LookupAddress[]> {
  if (hostname.endsWith('.internal')) return Promise.resolve([{ address: '10.0.0.1', family: 4 }]);
  return Promise.reject(new Error(`No DNS in this test (${hostname})`));
}

export interface Fixture {
  store: TestStore;
  pool: WorkerPool;
  app: FastifyInstance;
  jobIds: string[];
  documentIds: string[];
  scheduleIds: string[];
}

/** The event routes' service over a repository, webhook URLs checked offline. */
export function eventsApiOf(repository: KyselyJobRepository): EventsApi {
  const allow = parseAllowList(undefined);
  return {
    listEventLog: (o) => repository.listEventLog(o),
    listWebhookDeliveries: (jobId, o) => repository.listWebhookDeliveries(jobId, o),
    replayWebhookDelivery: (jobId, id) => repository.replayWebhookDelivery(jobId, id, 60_000),
    replayFailedWebhookDeliveries: (jobId) => repository.replayFailedWebhookDeliveries(jobId, 60_000),
    checkWebhookUrl: (url) => checkWebhookUrl(url, { allow, lookup: offlineLookup, lookupTimeoutMs: 200 }),
  };
}

export async function createFixture(): Promise<Fixture> {
  const store = await createTestStore();
  const pool = new WorkerPool({
    queue: store.queue,
    repository: store.repository,
    task: makeDocument,
    concurrency: 4,
    pollIntervalMs: 10,
    cancelCheckMs: 20,
    shutdownTimeoutMs: 100,
    backoff: { baseMs: 10, maxMs: 50 },
  });
  const onEnqueued = (): void => pool.notify();
  const jobs = new JobsService({
    repository: store.repository,
    queue: store.queue,
    defaults: defaultOptions,
    onEnqueued,
  });
  const crawls = new CrawlsService({
    jobs,
    maxPages: 50,
  });
  const schedules = new SchedulesService({
    repository: store.repository,
    jobs,
    startCrawl: (input) => crawls.start(input),
  });
  const events = eventsApiOf(store.repository);
  const checkUrl = (url: string): Promise<void> => events.checkWebhookUrl(url);
  const metrics = createMetrics({ depth: () => store.queue.depth(), hasDefaultMetrics: false });
  const app = buildApi(
    {
      jobs,
      repository: store.repository,
      metrics,
      readiness: createReadiness({
        database: () => store.repository.countItemsByState(),
        queue: () => store.queue.depth(),
      }),
      events,
      screenshots: store.repository,
      schedules,
      crawls: {
        start: (input) => crawls.start(input),
        settings: (input) => crawls.settings(input),
        checkWebhookUrl: checkUrl,
      },
      documentVersions: store.repository,
    },
    {
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxUrlsPerRequest: MAX_URLS_PER_REQUEST,
      extractTimeoutMs: 20_000,
      extractPollMs: 10,
      eventPollMs: 10,
    },
  );
  await app.ready();
  pool.start();

  // Real ids, so that the generated requests also reach handlers past their "not found" checks.
  const fixture: Fixture = { store, pool, app, jobIds: [], documentIds: [], scheduleIds: [] };
  for (const body of [
    {
      urls: ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b'],
      webhook: { url: 'https://hooks.example/x', secret: 's3cret' },
    },
    { urls: ['http://127.0.0.1:9/c'] },
  ]) {
    const response = await app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
    expect(response.statusCode).toBe(202);
    fixture.jobIds.push(response.json<{ job: { id: string } }>().job.id);
  }
  const crawl = await app.inject({
    method: 'POST',
    url: '/v1/crawls',
    payload: { url: 'http://127.0.0.1:9/' },
  });
  expect(crawl.statusCode).toBe(202);
  fixture.jobIds.push(crawl.json<{ job: { id: string } }>().job.id);
  for (const jobId of fixture.jobIds) {
    await waitFor(
      async () => (await store.repository.getJob(jobId))?.status === 'completed',
      15_000,
      `job ${jobId} to complete`,
    );
    const items = await store.repository.listItems(jobId, { limit: 10 });
    for (const item of items.items) if (item.documentId) fixture.documentIds.push(item.documentId);
  }
  const schedule = await app.inject({
    method: 'POST',
    url: '/v1/schedules',
    payload: { urls: ['http://127.0.0.1:9/s'], intervalSeconds: 3600 },
  });
  expect(schedule.statusCode).toBe(201);
  fixture.scheduleIds.push(schedule.json<{ id: string }>().id);
  return fixture;
}

// ─── Arbitraries ───

/** Percent-encoded as a client would; a lone surrogate, which no client can encode, becomes `?`. */
/** What a property file works with (see `useFixture`). */
export interface FixtureContext {
  fixture: Fixture;
  send(probe: Probe): Promise<LightMyRequestResponse>;
  jobId: fc.Arbitrary<string>;
}

/** The fixture of one property file, with the checks around each property; call inside `describe`. */
export function useFixture(): FixtureContext {
  const context: FixtureContext = {
    fixture: undefined as unknown as Fixture,
    send: async (probe: Probe): Promise<LightMyRequestResponse> => {
      const response = await context.fixture.app.inject(probe);
      expectSoundAnswer(probe, response);
      return response;
    },
    jobId: idOf(() => context.fixture.jobIds),
  };

  beforeAll(async () => {
    context.fixture = await createFixture();
  });

  afterEach(async () => {
    await expectHealthy(context.fixture.app);
    const response = await context.fixture.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { urls: ['http://127.0.0.1:9/still-serving'] },
    });
    expect(response.statusCode).toBe(202);
    const { job } = response.json<{ job: { id: string } }>();
    expect((await context.fixture.app.inject({ url: `/v1/jobs/${job.id}` })).statusCode).toBe(200);
  });

  afterAll(async () => {
    const { fixture } = context;
    if (!(fixture as Fixture | undefined)) return;
    await fixture.app.close();
    await fixture.pool.stop();
    await fixture.store.close();
  });
  return context;
}
