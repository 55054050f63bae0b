import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/index.js';
import { SchedulesService } from '../../src/schedules/index.js';
import { checkWebhookUrl } from '../../src/events/sinks/webhook/index.js';
import { parseAllowList } from '../../src/fetch/index.js';
import type { ApiDependencies } from '../../src/api/index.js';
import { redisBackend, suiteTitle } from '../helpers/backends.js';
import { waitFor } from '../helpers/store.js';
import {
  createHarness,
  expectHealthy,
  expectProblem,
  waitForFinal,
  type Harness,
} from '../helpers/api-harness.js';

const redis = await redisBackend();
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

/** A harness whose API checks keys (no verification cache, so a revocation shows at once). */
async function withKeys(
  options: Parameters<typeof createHarness>[0] = {},
): Promise<{ harness: Harness; keys: ApiKeys }> {
  let keys: ApiKeys | undefined;
  const harness = await createHarness({
    ...options,
    deps: (store) => {
      keys = new ApiKeys({ store: store.repository, cacheTtlMs: 0 });
      const events: ApiDependencies['events'] = {
        listEventLog: (o) => store.repository.listEventLog(o),
        listWebhookDeliveries: (jobId, o) => store.repository.listWebhookDeliveries(jobId, o),
        replayWebhookDelivery: (jobId, id) => store.repository.replayWebhookDelivery(jobId, id, 60_000),
        replayFailedWebhookDeliveries: (jobId) =>
          store.repository.replayFailedWebhookDeliveries(jobId, 60_000),
        checkWebhookUrl: (url) => checkWebhookUrl(url, { allow: parseAllowList('') }),
      };
      return { keys, events, ...options.deps?.(store) };
    },
  });
  harnesses.push(harness);
  return { harness, keys: keys! };
}

function bearer(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

async function submit(harness: Harness, headers: Record<string, string>, urls: string[]): Promise<string> {
  const response = await harness.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: { urls } });
  expect(response.statusCode).toBe(202);
  return response.json<{ job: { id: string } }>().job.id;
}

describe('API keys and tenants', () => {
  it('leaves auth off while no key exists, and asks for a key on every /v1/ route once one does', async () => {
    const { harness, keys } = await withKeys();
    const openJob = await submit(harness, {}, ['https://example.com/open']);

    const { secret } = await keys.create({ tenant: 'default', name: 'ci' });
    const refused = await harness.app.inject({ method: 'GET', url: `/v1/jobs/${openJob}` });
    const body = expectProblem(refused, 401, 'unauthorized');
    expect(String(body.detail)).toContain('Authorization: Bearer');
    expect(String(body.detail)).not.toContain('`'); // read as plain text by curl users, not as Markdown
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(
      await harness.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer('dsk_not-a-real-key') }),
      401,
      'unauthorized',
    );
    expectProblem(
      await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: ['https://example.com/x'] },
      }),
      401,
      'unauthorized',
    );

    // The key works as a Bearer token and as X-API-Key; the tenant `default` sees the jobs made while auth was off.
    expect(
      (await harness.app.inject({ method: 'GET', url: `/v1/jobs/${openJob}`, headers: bearer(secret) }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await harness.app.inject({
          method: 'GET',
          url: `/v1/jobs/${openJob}`,
          headers: { 'x-api-key': secret },
        })
      ).statusCode,
    ).toBe(200);
    // Health, readiness and metrics stay open to probes.
    await expectHealthy(harness.app);
    expect((await harness.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('keeps each tenant to its own jobs: another tenant’s job is a 404 on every job route', async () => {
    const { harness, keys } = await withKeys();
    const acme = (await keys.create({ tenant: 'acme' })).secret;
    const globex = (await keys.create({ tenant: 'globex' })).secret;
    const acmeJob = await submit(harness, bearer(acme), ['https://example.com/a1', 'https://example.com/a2']);
    const globexJob = await submit(harness, bearer(globex), ['https://example.com/g1']);
    await waitForFinal(harness, acmeJob);
    await waitForFinal(harness, globexJob);

    for (const path of ['', '/items', '/results', '/webhooks', '/events']) {
      expectProblem(
        await harness.app.inject({
          method: 'GET',
          url: `/v1/jobs/${acmeJob}${path}`,
          headers: bearer(globex),
        }),
        404,
        'job_not_found',
      );
    }
    expectProblem(
      await harness.app.inject({
        method: 'POST',
        url: `/v1/jobs/${acmeJob}/cancel`,
        headers: bearer(globex),
      }),
      404,
      'job_not_found',
    );
    expectProblem(
      await harness.app.inject({
        method: 'POST',
        url: `/v1/jobs/${acmeJob}/urls`,
        headers: bearer(globex),
        payload: { urls: ['https://example.com/x'] },
      }),
      404,
      'job_not_found',
    );
    // The owner sees it all.
    const results = await harness.app.inject({
      method: 'GET',
      url: `/v1/jobs/${acmeJob}/results`,
      headers: bearer(acme),
    });
    expect(results.statusCode).toBe(200);
    expect(results.json<{ items: unknown[] }>().items).toHaveLength(2);

    // Listings are scoped: each tenant lists its own jobs and its own events.
    const listed = (secret: string) =>
      harness.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(secret) });
    expect((await listed(acme)).json<{ items: Array<{ id: string }> }>().items.map((j) => j.id)).toEqual([
      acmeJob,
    ]);
    expect((await listed(globex)).json<{ items: Array<{ id: string }> }>().items.map((j) => j.id)).toEqual([
      globexJob,
    ]);
    const events = await harness.app.inject({
      method: 'GET',
      url: '/v1/events?limit=500',
      headers: bearer(globex),
    });
    const jobIds = new Set(
      events.json<{ items: Array<{ data: { jobId?: string } }> }>().items.map((e) => e.data.jobId),
    );
    expect(jobIds).toEqual(new Set([globexJob]));
  });

  it('stops a revoked key at once (with no verification cache), and revoking the last key does not open the API', async () => {
    const { harness, keys } = await withKeys();
    const first = await keys.create({ tenant: 'acme' });
    await keys.create({ tenant: 'acme', name: 'second' });
    expect(
      (await harness.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(first.secret) }))
        .statusCode,
    ).toBe(200);
    expect(await keys.revoke(first.prefix)).toMatchObject({ id: first.id, revokedAt: expect.any(Number) });
    expectProblem(
      await harness.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(first.secret) }),
      401,
      'unauthorized',
    );
    const listed = await keys.list();
    expect(listed).toHaveLength(2);
    await keys.revoke(listed.find((key) => key.revokedAt === null)!.id);
    expectProblem(await harness.app.inject({ method: 'GET', url: '/v1/jobs' }), 401, 'unauthorized');
    // The secret is never stored: only its prefix is shown.
    expect(JSON.stringify(listed)).not.toContain(first.secret);
  });

  it('shares documents across tenants by default, and keeps them apart under tenant isolation', async () => {
    for (const tenantIsolation of [false, true]) {
      const { harness, keys } = await withKeys({ tenantIsolation, api: { tenantIsolation } });
      const acme = (await keys.create({ tenant: 'acme' })).secret;
      const globex = (await keys.create({ tenant: 'globex' })).secret;
      const url = 'https://example.com/shared-page';
      const acmeJob = await submit(harness, bearer(acme), [url]);
      await waitForFinal(harness, acmeJob);
      const item = (
        await harness.app.inject({ method: 'GET', url: `/v1/jobs/${acmeJob}/items`, headers: bearer(acme) })
      ).json<{
        items: Array<{ documentId: string }>;
      }>();
      const documentId = item.items[0]!.documentId;

      const byId = await harness.app.inject({
        method: 'GET',
        url: `/v1/documents/${documentId}`,
        headers: bearer(globex),
      });
      const byUrl = await harness.app.inject({
        method: 'GET',
        url: `/v1/documents?url=${encodeURIComponent(url)}`,
        headers: bearer(globex),
      });
      // A later job of the other tenant with the default maxAge reuses the document only when shared.
      const second = await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: bearer(globex),
        payload: { urls: [url], options: { maxAge: 3600 } },
      });
      const reused = second.json<{ submission: { reused: number } }>().submission.reused;
      if (tenantIsolation) {
        expectProblem(byId, 404, 'document_not_found');
        expectProblem(byUrl, 404, 'document_not_found');
        expect(reused).toBe(0);
      } else {
        expect([byId.statusCode, byUrl.statusCode]).toEqual([200, 200]);
        expect(reused).toBe(1);
      }
      // The owner reads its document either way.
      expect(
        (
          await harness.app.inject({
            method: 'GET',
            url: `/v1/documents/${documentId}`,
            headers: bearer(acme),
          })
        ).statusCode,
      ).toBe(200);
    }
  });

  it('gives two tenants with the same Idempotency-Key two jobs', async () => {
    const { harness, keys } = await withKeys();
    const acme = (await keys.create({ tenant: 'acme' })).secret;
    const globex = (await keys.create({ tenant: 'globex' })).secret;
    const post = (secret: string) =>
      harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...bearer(secret), 'idempotency-key': 'nightly-2026-11-22' },
        payload: { urls: ['https://example.com/i'] },
      });
    const a = await post(acme);
    const b = await post(globex);
    const again = await post(acme);
    expect([a.statusCode, b.statusCode, again.statusCode]).toEqual([202, 202, 200]);
    const id = (r: typeof a) => r.json<{ job: { id: string } }>().job.id;
    expect(id(a)).not.toBe(id(b));
    expect(id(again)).toBe(id(a));
  });
});

describe('per-tenant cap on queued URLs', () => {
  it('refuses a submission past the cap with 429 queued_urls_limit, per tenant, and accepts again once URLs finish', async () => {
    const { harness, keys } = await withKeys({ maxQueuedPerTenant: 5, isPoolStarted: false });
    const acme = (await keys.create({ tenant: 'acme' })).secret;
    const globex = (await keys.create({ tenant: 'globex' })).secret;
    const urls = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `https://example.com/${prefix}/${i}`);

    await submit(harness, bearer(acme), urls('a', 4));
    const refused = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: bearer(acme),
      payload: { urls: urls('b', 2) },
    });
    const problem = expectProblem(refused, 429, 'queued_urls_limit');
    expect(problem).toMatchObject({ limit: 5, queued: 4 });
    expect(refused.headers['retry-after']).toBeDefined();
    // Nothing of the refused submission was kept.
    const listed = (
      await harness.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(acme) })
    ).json<{ items: unknown[] }>();
    expect(listed.items).toHaveLength(1);

    // Another tenant has its own room.
    await submit(harness, bearer(globex), urls('g', 5));

    // A streamed submission keeps what fits and reports the rest as refused entries.
    const streamed = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...bearer(acme), 'content-type': 'text/plain' },
      payload: urls('s', 3).join('\n'),
    });
    expect(streamed.statusCode).toBe(202);
    const summary = streamed.json<{ submission: { accepted: number; invalid: Array<{ reason: string }> } }>()
      .submission;
    expect(summary.accepted).toBe(1);
    expect(summary.invalid.map((entry) => entry.reason)).toEqual(['queued_urls_limit', 'queued_urls_limit']);

    // Once the URLs are done, the tenant may submit again.
    harness.pool.start();
    for (const job of (await harness.store.repository.listJobs({ limit: 10, tenant: 'acme' })).items)
      await waitForFinal(harness, job.id);
    await submit(harness, bearer(acme), urls('c', 5));
  });
});

describe('rate limits', () => {
  it('answers 429 rate_limited with Retry-After and RateLimit headers, per key', async () => {
    const { harness, keys } = await withKeys({ api: { rateLimit: 3, rateLimitWindowMs: 60_000 } });
    const acme = (await keys.create({ tenant: 'acme' })).secret;
    const globex = (await keys.create({ tenant: 'globex' })).secret;
    const get = (secret: string) =>
      harness.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(secret) });
    const first = await get(acme);
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '2' });
    await get(acme);
    await get(acme);
    const limited = await get(acme);
    const problem = expectProblem(limited, 429, 'rate_limited');
    expect(problem.limit).toBe(3);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another key has its own budget, and probes are never limited.
    expect((await get(globex)).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) await expectHealthy(harness.app);
  });

  it('limits per client address while auth is off', async () => {
    const harness = await createHarness({ api: { rateLimit: 2 } });
    harnesses.push(harness);
    const get = (ip: string) => harness.app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: ip });
    expect((await get('127.0.0.5')).statusCode).toBe(200);
    expect((await get('127.0.0.5')).statusCode).toBe(200);
    expectProblem(await get('127.0.0.5'), 429, 'rate_limited');
    expect((await get('127.0.0.6')).statusCode).toBe(200);
  });

  describe.skipIf(redis.skipReason !== undefined)(
    suiteTitle('shared through Redis', redis.skipReason),
    () => {
      it('counts one key’s requests across two API processes', async () => {
        const redisUrl = redis.url();
        const prefix = redis.prefix();
        const clients: Redis[] = [];
        const apis: Harness[] = [];
        try {
          const first = await withKeys({
            api: { rateLimit: 4, redisPrefix: prefix },
            deps: () => {
              const redis = new Redis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
              clients.push(redis);
              return { rateLimitRedis: redis };
            },
          });
          apis.push(first.harness);
          // A second API over the same database and Redis, as a second `distill api` would be.
          const { secret } = await first.keys.create({ tenant: 'acme' });
          const second = await createHarness({
            api: { rateLimit: 4, redisPrefix: prefix },
            deps: () => {
              const redis = new Redis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
              clients.push(redis);
              return { rateLimitRedis: redis, keys: first.keys };
            },
          });
          harnesses.push(second);
          const statuses: number[] = [];
          for (const api of [first.harness, second, first.harness, second, first.harness]) {
            statuses.push(
              (await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(secret) })).statusCode,
            );
          }
          expect(statuses).toEqual([200, 200, 200, 200, 429]);
          expect((await clients[0]!.keys(`${prefix}:ratelimit:*`)).length).toBeGreaterThan(0);
        } finally {
          await Promise.all(apis.map((h) => h.close()));
          harnesses.splice(0);
          await Promise.all(clients.map((c) => c.quit()));
        }
      });
    },
  );
});

describe('schedules and crawls belong to a tenant', () => {
  it('hides another tenant’s schedule, and runs a schedule’s jobs as its tenant', async () => {
    const { harness } = await withKeys();
    const schedules = new SchedulesService({ repository: harness.store.repository, jobs: harness.jobs });
    const schedule = await schedules.create({
      template: { kind: 'urls', urls: ['https://example.com/nightly'], options: {}, webhook: null },
      intervalSeconds: 3600,
      tenant: 'acme',
    });
    await expect(schedules.get(schedule.id, { tenant: 'globex' })).rejects.toMatchObject({
      code: 'schedule_not_found',
    });
    await expect(schedules.pause(schedule.id, { tenant: 'globex' })).rejects.toMatchObject({
      code: 'schedule_not_found',
    });
    await expect(schedules.delete(schedule.id, { tenant: 'globex' })).rejects.toMatchObject({
      code: 'schedule_not_found',
    });
    expect((await schedules.list({ limit: 10, tenant: 'globex' })).items).toEqual([]);
    expect((await schedules.list({ limit: 10, tenant: 'acme' })).items.map((s) => s.id)).toEqual([
      schedule.id,
    ]);

    const { jobId } = await schedules.fire(
      await schedules.get(schedule.id, { tenant: 'acme' }),
      `run-${schedule.id}`,
    );
    expect((await harness.store.repository.getJob(jobId))?.tenant).toBe('acme');
    await expect(harness.jobs.getJob(jobId, { tenant: 'globex' })).rejects.toMatchObject({
      code: 'job_not_found',
    });
  });
});

describe('event streams per tenant', () => {
  it('caps the SSE streams of one tenant, leaving room under the global cap for another tenant', async () => {
    const { harness, keys } = await withKeys({
      isPoolStarted: false,
      api: { maxEventStreams: 10, maxEventStreamsPerTenant: 3 },
    });
    const a = await keys.create({ tenant: 'tenant-a' });
    const b = await keys.create({ tenant: 'tenant-b' });
    // Nothing runs, so the jobs stay queued and their streams stay open.
    const jobA = await submit(harness, bearer(a.secret), ['https://example.com/a']);
    const jobB = await submit(harness, bearer(b.secret), ['https://example.com/b']);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    const address = harness.app.server.address() as { port: number };
    const open = (jobId: string, secret: string, signal?: AbortSignal) =>
      fetch(`http://127.0.0.1:${address.port}/v1/jobs/${jobId}/events`, {
        headers: bearer(secret),
        ...(signal ? { signal } : {}),
      });

    const heldByA = Array.from({ length: 3 }, () => new AbortController());
    for (const controller of heldByA)
      expect((await open(jobA, a.secret, controller.signal)).status).toBe(200);
    const refused = await open(jobA, a.secret);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ code: 'tenant_streams_limit' });

    // Tenant B is not starved by A's streams.
    const streamB = new AbortController();
    expect((await open(jobB, b.secret, streamB.signal)).status).toBe(200);

    // A stream of A that ends frees its place.
    heldByA[0]!.abort();
    await waitFor(
      async () => {
        heldByA[0] = new AbortController();
        const again = await open(jobA, a.secret, heldByA[0].signal);
        if (again.status === 200) return true;
        await again.body?.cancel();
        return false;
      },
      5000,
      'a place for tenant A again',
    );
    for (const controller of [...heldByA, streamB]) controller.abort();
  });
});
