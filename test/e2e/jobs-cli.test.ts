import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorpusServer } from '../../bench/corpus-server.mjs';
import { freePort } from '../helpers/net.js';
import { startServe } from '../helpers/serve.js';
import { runDistill } from './fixtures/run-distill.js';

describe('distill jobs: a shell client of a running server', () => {
  let corpus: { origins: string[]; close(): Promise<void> };
  let dir: string;
  let server: ChildProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    corpus = await startCorpusServer({
      hosts: 1,
      handler: (path: string) => {
        if (path === '/robots.txt') return { status: 404, body: '' };
        if (path.startsWith('/gone')) return { status: 410, body: 'gone' };
        const n = path.split('/').pop();
        return {
          body: `<html><head><title>Page ${n}</title></head><body><article><h1>Page ${n}</h1><p>Some text about page ${n}, long enough to be the main content of the page, with a few more words in it.</p></article></body></html>`,
        };
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'distill-jobs-cli-'));
    const port = await freePort();
    env = { DISTILL_SERVER: `http://127.0.0.1:${port}` };
    await startServe(
      port,
      {
        DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
        DISTILL_FETCH_ALLOW: '127.0.0.1',
        DISTILL_LOG_LEVEL: 'silent',
        DISTILL_EXTRACT_THREADS: '1',
      },
      (proc) => (server = proc),
    );
  }, 90_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await corpus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('watches a job to its end and lists its failed URLs with their codes; items by state; results as Markdown files', async () => {
    const origin = corpus.origins[0]!;
    const submitted = await runDistill(
      ['jobs', 'submit', `${origin}/a/1`, `${origin}/a/2`, `${origin}/gone/3`, '--watch'],
      env,
    );
    expect(submitted.code).toBe(1);
    const { id } = JSON.parse(submitted.stdout.trim().split('\n')[0]!) as { id: string };
    expect(submitted.stderr).toContain(`failed ${origin}/gone/3: http_error`);
    expect(submitted.stderr).toContain('completed with 1 failed');
    expect(submitted.stderr).toContain('3/3 ended: 2 done, 1 failed, 0 cancelled');

    const failed = await runDistill(['jobs', 'items', id, '--state', 'failed'], env);
    expect(failed.code).toBe(0);
    const lines = failed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { url: string; state: string; error: { code: string } });
    expect(lines).toEqual([
      expect.objectContaining({
        url: `${origin}/gone/3`,
        state: 'failed',
        error: expect.objectContaining({ code: 'http_error' }),
      }),
    ]);
    expect((await runDistill(['jobs', 'items', id], env)).stdout.trim().split('\n')).toHaveLength(3);
    const wrongState = await runDistill(['jobs', 'items', id, '--state', 'broken'], env);
    expect(wrongState.code).toBe(2);
    expect(wrongState.stderr).toContain('--state takes queued, running, succeeded, failed, cancelled');

    // The gone page is still gone: retried, it fails again, and the job says so.
    const retried = await runDistill(['jobs', 'retry', id, '--watch'], env);
    expect(retried.stderr).toContain('1 failed item queued again.');
    expect(retried.stderr).toContain(`failed ${origin}/gone/3: http_error`);
    expect(retried.code).toBe(1);

    const out = join(dir, 'md');
    const written = await runDistill(['jobs', 'results', id, '-o', out], env);
    expect(written.code).toBe(0);
    expect(written.stderr).toContain(`2 Markdown files written into ${out}`);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(readFileSync(join(out, files[0]!), 'utf8')).toMatch(
      /^---\nurl: "http:\/\/127\.0\.0\.1:\d+\/a\/1"\ntitle: "Page 1"\nfetched: "?\d{4}-/,
    );
  }, 60_000);

  it('names a job at submission (--name) and lists jobs with their names, by --search and --status', async () => {
    const origin = corpus.origins[0]!;
    const named = await runDistill(
      ['jobs', 'submit', `${origin}/n/1`, '--name', 'Nightly docs', '--watch'],
      env,
    );
    expect(named.code).toBe(0);
    expect(JSON.parse(named.stdout.trim().split('\n')[0]!)).toMatchObject({ name: 'Nightly docs' });
    const unnamed = await runDistill(
      ['jobs', 'submit', `${origin}/u/1`, `${origin}/u/2`, `${origin}/u/3`],
      env,
    );
    const { id } = JSON.parse(unnamed.stdout.trim()) as { id: string };
    const host = new URL(origin).host;
    const listed = await runDistill(['jobs', 'list', '--search', 'nightly'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(1);
    expect(listed.stdout).toContain('"Nightly docs"  completed');
    const byUrl = await runDistill(['jobs', 'list', '--search', `${origin}/u/2`], env);
    expect(byUrl.stdout.trim().split('\n')).toEqual([expect.stringContaining(`${id}  "${host} +2"`)]);
    const none = await runDistill(['jobs', 'list', '--search', 'nightly', '--status', 'cancelled'], env);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('No job matches.');
    const badStatus = await runDistill(['jobs', 'list', '--status', 'done'], env);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('--status takes queued, running, completed, cancelled');
    const blank = await runDistill(['jobs', 'submit', `${origin}/b/1`, '--name', ' '], env);
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain('`/name` must not be empty');
  }, 60_000);
});
