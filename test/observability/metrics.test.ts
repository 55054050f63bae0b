import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/events/index.js';
import { sleep } from '../../src/lib/index.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/store.js';
import {
  articleHtml,
  sample,
  scrape,
  startSite,
  startTestApp,
  submit,
  waitForJob,
  type Site,
} from '../helpers/observability.js';

describe('metrics of the host limiter', () => {
  let site: Site;
  beforeAll(async () => {
    // Each page takes a while, so that items of one host queue behind each other's slot.
    site = await startSite((request, response) => {
      if (request.url === '/robots.txt') {
        response.writeHead(404).end();
        return;
      }
      setTimeout(
        () =>
          response.writeHead(200, { 'content-type': 'text/html' }).end(articleHtml(`Page ${request.url}`)),
        100,
      );
    });
  });
  afterAll(async () => {
    await site?.close();
  });

  const urls = (prefix: string): string[] =>
    Array.from({ length: 4 }, (_, i) => `${site.origin}/${prefix}/${i}`);
  // One request at a time per host, and no rate limit to speak of: only the concurrency makes items wait.
  const oneAtATime = { DISTILL_HOST_CONCURRENCY: '1', DISTILL_HOST_RATE: '1000', DISTILL_HOST_BURST: '1000' };

  it('observes the time items waited for their host', async () => {
    const test = await startTestApp({ ...oneAtATime, DISTILL_HOST_MAX_WAIT_MS: '10000' });
    try {
      const jobId = await submit(test.url, urls('wait'));
      expect(await waitForJob(test.url, jobId)).toMatchObject({ succeeded: 4, failed: 0 });
      const body = await scrape(test.url);
      // Every item took the slot once, and those behind the first one waited for it.
      expect(sample(body, 'distill_host_limiter_wait_seconds_count')).toBeGreaterThanOrEqual(4);
      expect(sample(body, 'distill_host_limiter_wait_seconds_sum')).toBeGreaterThan(0);
      expect(sample(body, 'distill_host_limiter_reschedules_total')).toBe(0);
    } finally {
      await test.close();
    }
  });

  it('counts the items rescheduled because their host stayed busy past DISTILL_HOST_MAX_WAIT_MS, which still succeed', async () => {
    const test = await startTestApp({ ...oneAtATime, DISTILL_HOST_MAX_WAIT_MS: '0' });
    try {
      const jobId = await submit(test.url, urls('reschedule'));
      expect(await waitForJob(test.url, jobId)).toMatchObject({ succeeded: 4, failed: 0 });
      const body = await scrape(test.url);
      expect(sample(body, 'distill_host_limiter_reschedules_total')).toBeGreaterThan(0);
      expect(sample(body, 'distill_host_limiter_wait_seconds_count')).toBeGreaterThanOrEqual(4);
    } finally {
      await test.close();
    }
  });
});

describe('a distill worker on DISTILL_WORKER_PORT', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite((request, response) => {
      if (request.url === '/robots.txt') response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'text/html' }).end(articleHtml(`Page ${request.url}`));
    });
  });
  afterAll(async () => {
    await site?.close();
  });

  it('answers probes and shows the metrics only workers record, and nothing of the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-worker-port-'));
    const database = { DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}` };
    const api = await startTestApp(database, { role: 'api' });
    const port = await freePort();
    const worker = await startTestApp({ ...database, DISTILL_WORKER_PORT: String(port) }, { role: 'worker' });
    try {
      const ops = `http://127.0.0.1:${port}`;
      const jobId = await submit(api.url, [`${site.origin}/w/1`, `${site.origin}/w/2`]);
      expect(await waitForJob(api.url, jobId)).toMatchObject({ succeeded: 2 });
      const body = await scrape(ops);
      expect(succeeded(body)).toBe(2);
      expect(sample(body, 'distill_host_limiter_wait_seconds_count')).toBeGreaterThanOrEqual(2);
      // The API process ran no item: its own count is 0 (metrics are per process).
      expect(succeeded(await scrape(api.url))).toBe(0);
      const ready = await fetch(`${ops}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Record<string, unknown> }).checks).toHaveProperty('database');
      expect((await fetch(`${ops}/healthz`)).status).toBe(200);
      expect((await fetch(`${ops}/v1/jobs`)).status).toBe(404);
    } finally {
      await worker.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metrics of the outbox', () => {
  it('shows the backlog and age of unpublished events, back to 0 once the relay has published them', async () => {
    // An API process runs no relay: what it writes waits in the outbox.
    const test = await startTestApp({}, { role: 'api' });
    try {
      await submit(test.url, ['https://example.com/one', 'https://example.com/two']);
      await sleep(20); // so that the oldest event is measurably old
      let body = await scrape(test.url);
      expect(sample(body, 'distill_outbox_pending')).toBeGreaterThanOrEqual(1);
      expect(sample(body, 'distill_outbox_lag_seconds')).toBeGreaterThan(0);

      await using relay = new OutboxRelay({ store: test.app.repository, sinks: [], pollIntervalMs: 20 });
      relay.start();
      await waitFor(
        async () => sample(await scrape(test.url), 'distill_outbox_pending') === 0,
        10_000,
        'the outbox to drain',
      );
      body = await scrape(test.url);
      expect(sample(body, 'distill_outbox_lag_seconds')).toBe(0);
      expect(relay.published).toBeGreaterThanOrEqual(1);
    } finally {
      await test.close();
    }
  });
});

/** The count of succeeded attempts in a scrape (0 when the process recorded none). */
function succeeded(body: string): number {
  const line = body
    .split('\n')
    .find((l) => l.startsWith('distill_item_outcomes_total{') && l.includes('state="succeeded"'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}
