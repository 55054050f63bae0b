import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { App } from '../app/index.js';
import type { Config } from '../config/index.js';
import type { ParsedArgs } from './args.js';
import { barValues, createProgressBar, readLines, writeLine } from './io.js';
import { markdownFileName, NoValidUrlsError, toMarkdownFile } from '../jobs/index.js';
import type { Job } from '../jobs/index.js';
import { silentLogger, sleep } from '../lib/index.js';

export const EXTRACT_USAGE = `distill extract [url...] [-f urls.txt] [-o DIR] [--max-age SECONDS] [--format text,markdown,...]

Fetches and extracts the given URLs in this process (no server needed), with a progress bar on
stderr. URLs come from the arguments, from a file (-f, one per line) or from standard input.
Documents are written to stdout as NDJSON, or as Markdown files into DIR with -o. Exits 1 when any
URL failed, 2 on bad usage.`;

/**
 * `distill extract`: the embedded engine in this process. The job goes through the same queue,
 * fetcher, limits and store as the service, so documents extracted here are reused by later runs
 * (maxAge) and by a server on the same database.
 */
export async function runExtract(config: Config, args: ParsedArgs): Promise<number> {
  const file = args.flags.get('-f') ?? args.flags.get('--file');
  const outDir = args.flags.get('-o') ?? args.flags.get('--out');
  const maxAgeFlag = args.flags.get('--max-age');
  const formatsFlag = args.flags.get('--format');
  const maxAgeSeconds = maxAgeFlag === undefined ? undefined : Number(maxAgeFlag);
  if (maxAgeSeconds !== undefined && (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0)) {
    console.error(`--max-age expects a whole number of seconds, got ${JSON.stringify(maxAgeFlag)}`);
    return 2;
  }
  const formats = (formatsFlag ?? (outDir ? 'markdown,links' : 'text,markdown,links')).split(',').map((f) => f.trim());
  const known = ['text', 'markdown', 'html', 'links'];
  const unknownFormat = formats.find((f) => !known.includes(f));
  if (unknownFormat !== undefined) {
    console.error(`--format takes ${known.join(', ')}; got ${JSON.stringify(unknownFormat)}`);
    return 2;
  }
  let urls: Iterable<string> | AsyncIterable<string>;
  if (file !== undefined) urls = readLines(createReadStream(file));
  else if (args.positionals.length > 0) urls = args.positionals;
  else if (!process.stdin.isTTY) urls = readLines(process.stdin);
  else {
    console.error(`No URLs given.\n\nUsage: ${EXTRACT_USAGE}`);
    return 2;
  }

  const app = new App(config, { role: 'cli', logger: silentLogger });
  let job: Job | undefined;
  let isInterrupted = false;
  const onSignal = (): void => {
    if (isInterrupted) process.exit(130);
    isInterrupted = true;
    if (job) void app.jobs.cancel(job.id).catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = createProgressBar();
  try {
    await app.start();
    const submitted = await app.jobs.submit({
      urls,
      options: { formats: formats as never, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) },
    });
    job = submitted.job;
    for (const bad of submitted.invalid) console.error(`skipped entry ${bad.index + 1}: ${bad.message}`);
    const startedAt = Date.now();
    const show = (current: Job): void => {
      const { value, payload } = barValues(current.counts);
      const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
      bar.update(value, { ...payload, rate: (value / seconds).toFixed(1) });
    };
    bar.start(job.total, 0, { ...barValues(job.counts).payload, rate: '0.0' });
    while (job.status === 'queued' || job.status === 'running') {
      await sleep(200);
      job = await app.jobs.getJob(job.id);
      show(job);
    }
    // A job answered entirely from stored documents is completed at submission: the bar still ends at 100%.
    show(job);
    bar.stop();
    await writeResults(app, job.id, outDir);
    const failed = await app.repository.listItems(job.id, { state: 'failed', limit: 20 });
    for (const item of failed.items) console.error(`failed ${item.url}: ${item.error?.code} ${item.error?.message}`);
    if (job.counts.failed > failed.items.length) console.error(`… and ${job.counts.failed - failed.items.length} more failed`);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.error(
      `${job.counts.succeeded} extracted (${job.reused} reused), ${job.counts.failed} failed, ` +
        `${job.counts.cancelled} cancelled, ${submitted.invalidCount} invalid, in ${seconds} s`,
    );
    return job.counts.failed > 0 || job.counts.cancelled > 0 || submitted.invalidCount > 0 ? 1 : 0;
  } catch (error) {
    bar.stop();
    console.error(error instanceof Error ? error.message : String(error));
    // Say why each entry was refused: `extract example.com` → "No scheme: did you mean https://example.com/?".
    if (error instanceof NoValidUrlsError) for (const bad of error.invalid) console.error(`entry ${bad.index + 1} (${bad.input}): ${bad.message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await app.stop();
  }
}

async function writeResults(app: App, jobId: string, outDir: string | undefined): Promise<void> {
  if (outDir !== undefined) await mkdir(outDir, { recursive: true });
  let cursor: string | undefined;
  do {
    const page = await app.repository.listResults(jobId, { limit: 200, cursor });
    for (const { document } of page.items) {
      if (outDir !== undefined) {
        await writeFile(join(outDir, markdownFileName(document.url)), toMarkdownFile({ ...document, fetchedAt: new Date(document.fetchedAt).toISOString() }));
      } else {
        const { contentHash: _hash, ...rest } = document;
        await writeLine(JSON.stringify(rest));
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
