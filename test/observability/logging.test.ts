import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/index.js';
import {
  articleHtml,
  startSite,
  startTestApp,
  submit,
  waitForJob,
  type Site,
} from '../helpers/observability.js';

type Line = Record<string, unknown> & { msg?: string; reqId?: string; jobId?: string };

/** A pino destination that keeps every line in memory. */
function memoryDestination(): { write(line: string): void; text(): string; lines(): Line[] } {
  const chunks: string[] = [];
  return {
    write: (line) => void chunks.push(line),
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Line),
  };
}

describe('log lines of a job', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite((request, response) => {
      if (request.url === '/article') {
        response
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(articleHtml('An article'));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      }
    });
  });
  afterAll(async () => {
    await site?.close();
  });

  it('carry the job id on every line about the job and the request id on every request line, and never the API key', async () => {
    const destination = memoryDestination();
    const test = await startTestApp(
      { DISTILL_LOG_LEVEL: 'debug', DISTILL_LOG_FORMAT: 'json' },
      { logger: (config) => createLogger(config, { destination }) },
    );
    let jobId: string;
    try {
      jobId = await submit(test.url, [`${site.origin}/article`, `${site.origin}/missing`], {
        'x-request-id': 'obs-submit-1',
        authorization: 'Bearer obs-secret-token',
      });
      const counts = await waitForJob(test.url, jobId);
      expect(counts).toMatchObject({ succeeded: 1, failed: 1 });
    } finally {
      await test.close();
    }
    const lines = destination.lines();

    // Every line that mentions the job carries it as `jobId`, so one filter finds them all.
    const aboutJob = lines.filter((line) => JSON.stringify(line).includes(jobId));
    expect(aboutJob.length).toBeGreaterThan(4);
    for (const line of aboutJob) expect(line, JSON.stringify(line)).toHaveProperty('jobId', jobId);

    // The worker's lines about each item: the failed one says why, both name their item and host.
    const failed = lines.find((line) => line.msg === 'Item failed');
    expect(failed).toMatchObject({
      jobId,
      seq: 1,
      host: new URL(site.origin).host,
      code: 'http_error',
      httpStatus: 404,
      url: `${site.origin}/missing`,
    });
    expect(lines.find((line) => line.msg === 'Item succeeded')).toMatchObject({
      jobId,
      seq: 0,
      component: 'worker-pool',
    });

    // Every line Fastify writes for a request has its id; the client's X-Request-Id is that id, and
    // the submission's lines carry the job it created from the moment it exists.
    const requestLines = lines.filter(
      (line) => line.msg === 'incoming request' || line.msg === 'request completed',
    );
    expect(requestLines.length).toBeGreaterThan(2);
    for (const line of requestLines) expect(line.reqId, JSON.stringify(line)).toEqual(expect.any(String));
    const submitLines = lines.filter((line) => line.reqId === 'obs-submit-1');
    expect(submitLines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(submitLines[1]).toMatchObject({ jobId, res: { statusCode: 202 } });
    // Polling GET /v1/jobs/:id: its lines carry the job from the first one.
    const pollLines = requestLines.filter(
      (line) => (line.req as { url?: string } | undefined)?.url === `/v1/jobs/${jobId}`,
    );
    expect(pollLines.length).toBeGreaterThan(0);
    for (const line of pollLines) expect(line).toHaveProperty('jobId', jobId);

    expect(destination.text()).not.toContain('obs-secret-token');
  });
});

describe('the process logger', () => {
  it('redacts credentials wherever a log call puts them', () => {
    for (const format of ['json', 'pretty'] as const) {
      const destination = memoryDestination();
      const logger = createLogger({ logLevel: 'info', logFormat: format }, { destination, isTty: false });
      logger.info(
        {
          req: {
            method: 'GET',
            url: '/v1/jobs?api_key=key-in-query',
            headers: { authorization: 'Bearer header-token' },
          },
        },
        'a request',
      );
      logger.info(
        {
          headers: {
            authorization: 'Bearer plain-header',
            'x-api-key': 'api-key-header',
            'webhook-secret': 'submitted-secret',
          },
        },
        'headers',
      );
      logger.info(
        {
          webhook: { url: 'https://hooks.example/x', secret: 'webhook-secret-value' },
          job: { webhook: { secret: 'nested-secret' } },
        },
        'a job',
      );
      logger.info({ url: 'https://user:url-password@example.com/?token=url-token' }, 'a url');
      const text = destination.text();
      for (const secret of [
        'key-in-query',
        'header-token',
        'plain-header',
        'api-key-header',
        'submitted-secret',
        'webhook-secret-value',
        'nested-secret',
        'url-password',
        'url-token',
      ]) {
        expect(text, `${format}: ${secret}`).not.toContain(secret);
      }
      expect(text).toContain('[redacted]');
      expect(text).toContain('hooks.example'); // what is not secret stays
    }
  });
});

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs `distill serve` from the sources until it has started, then stops it with SIGTERM. */
function serveUntilStarted(env: Record<string, string>): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-obs-cli-'));
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/distill.ts', 'serve'], {
      env: {
        ...process.env,
        PORT: '0',
        DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let isStopping = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const startedLine = stderr
        .split('\n')
        .find((line, i, all) => i < all.length - 1 && line.includes('distill started'));
      const url = startedLine && /http:\/\/127\.0\.0\.1:\d+/.exec(startedLine)?.[0];
      if (!isStopping && url) {
        isStopping = true;
        // The signal handlers are installed right after that line: once the server has answered a
        // request (a later turn of its event loop), SIGTERM is certain to find them.
        fetch(`${url}/healthz`).then(
          () => child.kill('SIGTERM'),
          () => child.kill('SIGTERM'),
        );
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stderr });
    });
  });
}

describe('distill serve on stderr', () => {
  it('writes one JSON object a line with DISTILL_LOG_FORMAT=json, up to its last line', async () => {
    const run = await serveUntilStarted({ DISTILL_LOG_FORMAT: 'json' });
    expect(run.code).toBe(0);
    const lines = run.stderr
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
    expect(lines.find((l) => l.msg === 'distill started')).toMatchObject({
      level: 30,
      role: 'serve',
      pid: expect.any(Number),
    });
    // Written synchronously: the line after SIGTERM is there even though the process exits at once.
    expect(lines.at(-1)).toMatchObject({ msg: 'distill stopped' });
  });

  it('writes human-readable lines with DISTILL_LOG_FORMAT=pretty, without colours when stderr is not a terminal', async () => {
    const run = await serveUntilStarted({ DISTILL_LOG_FORMAT: 'pretty' });
    expect(run.code).toBe(0);
    const started = run.stderr.split('\n').find((l) => l.includes('distill started'));
    expect(started).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: distill started \{.*"role":"serve"/);
    expect(() => void JSON.parse(started!)).toThrow();
    expect(run.stderr).not.toContain('\u001b[');
    expect(run.stderr.trimEnd().split('\n').at(-1)).toContain('distill stopped');
  });
});
