import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from '../app/index.js';
import type { Config } from '../config/index.js';
import type { ParsedArgs } from './args.js';
import { barValues, createProgressBar, readLines, writeLine } from './io.js';
import { markdownFileName, normalizeUrl, NoValidUrlsError, toMarkdownFile } from '../jobs/index.js';
import type { Job } from '../jobs/index.js';
import { DistillError, silentLogger, sleep } from '../lib/index.js';

export const EXTRACT_USAGE = `distill extract [url|path...] [-f urls.txt] [-o DIR] [--max-age SECONDS] [--format text,markdown,...]

Fetches and extracts the given URLs in this process (no server needed), with a progress bar on
stderr. URLs come from the arguments, from a file (-f, one per line) or from standard input. An
argument without http:// or https:// is a local file (a PDF, an office file, an image to OCR...),
extracted as POST /v1/files would; one that does not exist is an error.
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
  const formats = (formatsFlag ?? (outDir ? 'markdown,links' : 'text,markdown,links'))
    .split(',')
    .map((f) => f.trim());
  const known = ['text', 'markdown', 'html', 'links'];
  const unknownFormat = formats.find((f) => !known.includes(f));
  if (unknownFormat !== undefined) {
    console.error(`--format takes ${known.join(', ')}; got ${JSON.stringify(unknownFormat)}`);
    return 2;
  }
  const split = await splitPaths(args.positionals);
  if (typeof split === 'string') {
    console.error(split);
    return 2;
  }
  const { paths, urlArgs } = split;
  let urls: Iterable<string> | AsyncIterable<string> | undefined;
  if (file !== undefined) urls = readLines(createReadStream(file));
  else if (urlArgs.length > 0) urls = urlArgs;
  else if (paths.length > 0) urls = undefined;
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
    const fileFailures = await extractPaths(app, paths, { formats, outDir, maxBytes: config.maxUploadBytes });
    if (urls === undefined) return fileFailures > 0 ? 1 : 0;
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
    for (const item of failed.items)
      console.error(`failed ${item.url}: ${item.error?.code} ${item.error?.message}`);
    if (job.counts.failed > failed.items.length)
      console.error(`… and ${job.counts.failed - failed.items.length} more failed`);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.error(
      `${job.counts.succeeded} extracted (${job.reused} reused), ${job.counts.failed} failed, ` +
        `${job.counts.cancelled} cancelled, ${submitted.invalidCount} invalid, in ${seconds} s`,
    );
    return fileFailures > 0 || job.counts.failed > 0 || job.counts.cancelled > 0 || submitted.invalidCount > 0
      ? 1
      : 0;
  } catch (error) {
    bar.stop();
    console.error(error instanceof Error ? error.message : String(error));
    // Say why each entry was refused: `extract example.com` → "No scheme: did you mean https://example.com/?".
    if (error instanceof NoValidUrlsError)
      for (const bad of error.invalid) console.error(`entry ${bad.index + 1} (${bad.input}): ${bad.message}`);
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
        await writeFile(
          join(outDir, markdownFileName(document.url)),
          toMarkdownFile({ ...document, fetchedAt: new Date(document.fetchedAt).toISOString() }),
        );
      } else {
        const { contentHash: _hash, ...rest } = document;
        await writeLine(JSON.stringify(rest));
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/**
 * Arguments with http:// or https:// are URLs, and so is any other `scheme://` (the submission
 * reports it as invalid, as before); `file://` URLs and everything else are local paths, which
 * must exist. A message instead when one does not.
 */
async function splitPaths(
  positionals: readonly string[],
): Promise<{ paths: string[]; urlArgs: string[] } | string> {
  const paths: string[] = [];
  const urlArgs: string[] = [];
  for (const arg of positionals) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) && !/^file:/i.test(arg)) {
      urlArgs.push(arg);
      continue;
    }
    const path = /^file:/i.test(arg) ? fileURLToPath(arg) : arg;
    const info = await stat(path).catch(() => null);
    if (info === null) {
      // `distill extract example.com`: no such file, and most likely a link without its scheme.
      const asUrl = /^[./~]/.test(arg) ? undefined : normalizeUrl(arg);
      const meant =
        asUrl !== undefined && !asUrl.ok && asUrl.message.startsWith('No scheme')
          ? `; as a link: ${asUrl.message}`
          : ' (a URL needs http:// or https://)';
      return `No such file: ${arg}${meant}`;
    }
    if (!info.isFile()) return `Not a file: ${arg}`;
    paths.push(path);
  }
  return { paths, urlArgs };
}

/** Extracts each local file as an upload (a one-item job each) and writes its document; returns how many failed. */
async function extractPaths(
  app: App,
  paths: readonly string[],
  options: { formats: string[]; outDir: string | undefined; maxBytes: number },
): Promise<number> {
  let failures = 0;
  for (const path of paths) {
    try {
      const { size } = await stat(path);
      if (size > options.maxBytes)
        throw new DistillError(
          'file_too_large',
          `the file has ${size} bytes, over DISTILL_MAX_UPLOAD_BYTES (${options.maxBytes})`,
        );
      const body = await readFile(path);
      const { job } = await app.uploadFile({
        body,
        contentType: undefined,
        fileName: basename(path),
        options: { formats: options.formats as never },
      });
      await writeResults(app, job.id, options.outDir);
    } catch (error) {
      failures++;
      const code = error instanceof DistillError ? `${error.code} ` : '';
      console.error(`failed ${path}: ${code}${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}
