import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorpusServer } from '../../bench/corpus-server.mjs';
import { runDistill } from './fixtures/run-distill.js';

const distill = runDistill;

describe('the distill command line', () => {
  let corpus: { origins: string[]; close(): Promise<void> };
  let dir: string;

  beforeAll(async () => {
    corpus = await startCorpusServer({
      hosts: 2,
      handler: (path: string) => {
        if (path === '/robots.txt') return { status: 404, body: '' };
        if (path.startsWith('/gone')) return { status: 410, body: 'gone' };
        const n = path.split('/').pop();
        return {
          body: `<html><head><title>Page ${n}</title></head><body><article><h1>Page ${n}</h1><p>Some text about page ${n} that is long enough to be the main content of the page, with a few more words.</p></article></body></html>`,
        };
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'distill-cli-'));
  });

  afterAll(async () => {
    await corpus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every command and option with --help', async () => {
    const run = await distill(['--help']);
    expect(run.code).toBe(0);
    for (const word of [
      'serve',
      'extract',
      'jobs',
      'migrate',
      '--database-url',
      'DISTILL_DATABASE_URL',
      '[default: sqlite:./data/distill.db]',
    ]) {
      expect(run.stdout).toContain(word);
    }
    const sub = await distill(['extract', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('distill extract [url|path...]');
    // A client command shows its own flags and examples, and only the settings it reads.
    const jobs = await distill(['jobs', '--help']);
    expect(jobs.stdout).toContain('items <job-id> [--state failed]');
    expect(jobs.stdout).toContain('Examples:');
    expect(jobs.stdout).toContain('--server');
    expect(jobs.stdout).not.toContain('--concurrency');
    const typo = await distill(['srve']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean `serve`?');
  });

  it('stops at start-up on a bad value, naming the variable and what is allowed', async () => {
    const run = await distill(['serve'], { PORT: '99999', DISTILL_HOST_RATE: 'fast' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PORT="99999": expected at most 65535');
    expect(run.stderr).toContain('DISTILL_HOST_RATE="fast": expected a number');
  });

  it('exits 1 at once, saying why, when a second serve finds its port taken', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const run = await distill([
        'serve',
        '--port',
        String(port),
        '--database-url',
        `sqlite:${join(dir, 'busy.db')}`,
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`127.0.0.1:${port} is already in use`);
      expect(run.stderr).toContain('--port');
    } finally {
      busy.close();
    }
  });

  it('refuses an unknown option instead of ignoring it', async () => {
    const run = await distill(['serve', '--concurency', '4']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown option(s) --concurency (did you mean --concurrency?)');
  });

  it('says why a link without a scheme is refused, and what was meant', async () => {
    const run = await runDistill(['extract', 'example.com'], {
      DISTILL_DATABASE_URL: `sqlite:${join(dir, 'noscheme.db')}`,
    });
    // Not a file here, so a usage error (2) that names what was most likely meant.
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'No such file: example.com; as a link: No scheme: did you mean https://example.com/?',
    );
  });

  it('extracts URLs from stdin to Markdown files with a progress summary, exiting 1 when one failed', async () => {
    const out = join(dir, 'md');
    const urls = [`${corpus.origins[0]}/a/1`, `${corpus.origins[1]}/a/2`, `${corpus.origins[0]}/gone/3`].join(
      '\n',
    );
    const run = await distill(
      ['extract', '-o', out],
      { DISTILL_DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, DISTILL_FETCH_ALLOW: '127.0.0.1' },
      urls,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('2 extracted (0 reused), 1 failed');
    expect(run.stderr).toMatch(/failed http:\/\/127\.0\.0\.1:\d+\/gone\/3: http_error/);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    const first = readFileSync(join(out, files[0]!), 'utf8');
    expect(first).toMatch(/^---\nurl: "http:\/\/127\.0\.0\.1:\d+\/a\/\d"\ntitle: "Page \d"/);
    expect(first).toContain('Some text about page');
  });

  it('writes NDJSON documents to stdout and reuses them on a second run', async () => {
    const env = {
      DISTILL_DATABASE_URL: `sqlite:${join(dir, 'ndjson.db')}`,
      DISTILL_FETCH_ALLOW: '127.0.0.1',
    };
    const url = `${corpus.origins[0]}/b/7`;
    const first = await distill(['extract', url], env);
    expect(first.code).toBe(0);
    const doc = JSON.parse(first.stdout.trim()) as { url: string; title: string; markdown: string };
    expect(doc).toMatchObject({ url, title: 'Page 7' });
    const second = await distill(['extract', url], env);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('1 extracted (1 reused)');
    // Answered from the stored document at submission: the bar still ends full.
    expect(second.stderr).toContain('100% | 1/1 ended: 1 done, 0 failed, 0 cancelled');
  });

  it('extracts a local file given by its path, and says so clearly when the path does not exist', async () => {
    const env = { DISTILL_DATABASE_URL: `sqlite:${join(dir, 'files.db')}` };
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage([595, 842]).drawText('A local file about tidal energy.', { x: 50, y: 780, size: 12, font });
    const path = join(dir, 'local report.pdf');
    writeFileSync(path, await pdf.save());
    const run = await distill(['extract', path], env);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout.trim()) as { url: string; mimeType: string; text: string };
    expect(doc).toMatchObject({ mimeType: 'application/pdf' });
    expect(doc.text).toContain('A local file about tidal energy.');
    expect(doc.url).toMatch(/^https:\/\/upload\.distill\.invalid\/[0-9a-f]{32}\/local-report\.pdf$/);
    const missing = await distill(['extract', './no-such-file.pdf'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No such file: ./no-such-file.pdf (a URL needs http:// or https://)');
    // A file that cannot be extracted is reported with its code, and the exit code says so.
    const binary = join(dir, 'noise.bin');
    writeFileSync(binary, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256)));
    const failed = await distill(['extract', binary], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`failed ${binary}: unsupported_content_type`);
  });

  it('ends quietly with exit code 0 when the reader closes the pipe early, as `| head -1` does', async () => {
    const env = {
      ...process.env,
      DISTILL_LOG_LEVEL: 'silent',
      DISTILL_DATABASE_URL: `sqlite:${join(dir, 'pipe.db')}`,
      DISTILL_FETCH_ALLOW: '127.0.0.1',
    };
    const urls = Array.from({ length: 12 }, (_, i) => `${corpus.origins[i % 2]}/pipe/${i}`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/e2e/fixtures/distill.ts', 'extract', ...urls],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `head -1`: read the first line, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\.ts:\d+/);
    expect(code).toBe(0);
  });
});
