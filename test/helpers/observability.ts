import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppRole } from '../../src/app/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Logger } from '../../src/lib/index.js';
import { silentLogger } from '../../src/lib/index.js';
import { waitFor } from './store.js';
import { TEST_SERVER_ENV } from './server-env.js';

/** A site on 127.0.0.1 that the workers fetch; `origin` is its base URL. */
export interface Site {
  origin: string;
  close(): Promise<void>;
}

/** Starts a local site answering every request with `handler`. */
export async function startSite(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Site> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An article page long enough to be extracted as the main content. */
export function articleHtml(title: string): string {
  return `<!doctype html><html><head><title>${title}</title></head><body><article><h1>${title}</h1>${'<p>Plain text that makes this page an article with enough words to count as the main content. </p>'.repeat(5)}</article></body></html>`;
}

/** A started App on a fresh SQLite file (real fetcher, extractor and worker pool), listening on 127.0.0.1. */
export interface TestApp {
  app: App;
  url: string;
  config: Config;
  close(): Promise<void>;
}

/** Starts an App with `env` over test defaults; `logger` builds its logger from the loaded config. */
export async function startTestApp(
  env: Record<string, string>,
  options: { role?: AppRole; logger?: (config: Config) => Logger } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-obs-'));
  const config = loadConfig({
    ...TEST_SERVER_ENV,
    PORT: '0',
    DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
    DISTILL_LOG_LEVEL: 'silent',
    DISTILL_CONCURRENCY: '4',
    DISTILL_EXTRACT_THREADS: '1',
    DISTILL_FETCH_ALLOW: '127.0.0.1',
    DISTILL_RENDER_DEFAULT: 'never',
    ...env,
  });
  const app = new App(config, {
    role: options.role ?? 'serve',
    logger: options.logger?.(config) ?? silentLogger,
  });
  await app.start();
  return {
    app,
    url: app.url ?? '',
    config,
    close: async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Submits `urls` as a job and returns its id. */
export async function submit(
  base: string,
  urls: string[],
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ urls, options: { maxAge: 0 } }),
  });
  if (response.status !== 202)
    throw new Error(`Submitting failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { job: { id: string } };
  return body.job.id;
}

/** Waits until the job is `completed` and returns its counts. */
export async function waitForJob(
  base: string,
  jobId: string,
  timeoutMs = 30_000,
): Promise<Record<string, number>> {
  let counts: Record<string, number> = {};
  await waitFor(
    async () => {
      const response = await fetch(`${base}/v1/jobs/${jobId}`);
      const body = (await response.json()) as { status: string; counts: Record<string, number> };
      counts = body.counts;
      return body.status === 'completed';
    },
    timeoutMs,
    `job ${jobId} to complete`,
  );
  return counts;
}

/** The Prometheus text of the app's `/metrics`. */
export async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The value of an unlabelled sample (`name value`) in the text exposition, or undefined. */
export function sample(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
