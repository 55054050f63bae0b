/**
 * Per-domain settings in distributed mode (issue 20): a rule put through the API process holds in
 * two worker processes at once, over PostgreSQL and Redis. A host whose rule says `concurrency: 1`
 * never has two requests in flight, counted by the site, while a host without a rule gets several.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseBackend, redisBackend, suiteTitle } from '../helpers/backends.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/store.js';

const postgres = await databaseBackend('postgres');
const redis = await redisBackend();
const skipReason = postgres.skipReason ?? redis.skipReason;

describe.skipIf(skipReason !== undefined)(
  suiteTitle('domain rules across two workers over PostgreSQL and Redis', skipReason),
  () => {
    const processes: ChildProcess[] = [];
    let site: Server | undefined;

    afterEach(() => {
      for (const proc of processes) if (proc.exitCode === null) proc.kill('SIGKILL');
      site?.closeAllConnections();
      site?.close();
    });

    it("holds a rule's concurrency across processes", async () => {
      const current = new Map<string, number>();
      const max = new Map<string, number>();
      site = createServer((request, response) => {
        const host = (request.headers.host ?? '').replace(/:\d+$/, '');
        if (request.url === '/robots.txt') return void response.writeHead(404).end();
        current.set(host, (current.get(host) ?? 0) + 1);
        max.set(host, Math.max(max.get(host) ?? 0, current.get(host)!));
        setTimeout(() => {
          current.set(host, current.get(host)! - 1);
          response
            .writeHead(200, { 'content-type': 'text/html' })
            .end(
              `<html><head><title>${request.url}</title></head><body><article><p>Page ${request.url} of ${host}, long enough to be kept.</p></article></body></html>`,
            );
        }, 250);
      });
      site.listen(0, '127.0.0.1');
      await once(site, 'listening');
      const sitePort = (site.address() as AddressInfo).port;

      const database = await postgres.open();
      const port = await freePort();
      const env = {
        ...process.env,
        PORT: String(port),
        DISTILL_DATABASE_URL: database.url,
        DISTILL_REDIS_URL: redis.url(),
        DISTILL_REDIS_PREFIX: redis
          .prefix()
          .replace(/[^A-Za-z0-9_.-]/g, '-')
          .slice(0, 64),
        DISTILL_FETCH_ALLOW: `127.0.0.1:${sitePort}`,
        DISTILL_HOST_CONCURRENCY: '4',
        DISTILL_HOST_RATE: '1000',
        DISTILL_HOST_BURST: '100',
        DISTILL_CONCURRENCY: '8',
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_RENDER_DEFAULT: 'never',
        DISTILL_LOG_LEVEL: 'error',
      };
      const start = (role: 'api' | 'worker'): void => {
        processes.push(
          spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/distill.ts', role], {
            env,
            stdio: ['ignore', 'ignore', 'inherit'],
          }),
        );
      };
      const base = `http://127.0.0.1:${port}`;
      start('api');
      await waitFor(
        async () =>
          fetch(`${base}/healthz`).then(
            (r) => r.ok,
            () => false,
          ),
        30_000,
        'the API',
      );
      const put = await fetch(`${base}/v1/domains/*.ruled.localhost`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ concurrency: 1 }),
      });
      expect(put.status).toBe(201);
      start('worker');
      start('worker');

      const urls = Array.from({ length: 12 }, (_, n) => [
        `http://a.ruled.localhost:${sitePort}/p${n}`,
        `http://free.localhost:${sitePort}/p${n}`,
      ]).flat();
      const submitted = (await (
        await fetch(`${base}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ urls, options: { maxAge: 0 } }),
        })
      ).json()) as { job: { id: string } };
      const id = submitted.job.id;
      await waitFor(
        async () =>
          ((await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { status: string }).status ===
          'completed',
        120_000,
        'the job',
      );
      const job = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { counts: Record<string, number> };
      expect(job.counts.succeeded).toBe(24);
      expect(max.get('a.ruled.localhost')).toBe(1);
      expect(max.get('free.localhost')).toBeGreaterThanOrEqual(2);
      const results = (await (await fetch(`${base}/v1/jobs/${id}/results?limit=100`)).json()) as {
        items: Array<{ url: string; quality: Record<string, unknown> }>;
      };
      for (const r of results.items)
        expect(r.quality.domainRule).toBe(r.url.includes('ruled') ? '*.ruled.localhost' : undefined);
    }, 180_000);
  },
);
