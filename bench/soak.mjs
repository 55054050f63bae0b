// Soak scenario: many URLs (200,000 by default) through one `distill serve` process, with its
// resident memory and open file descriptors (/proc/PID/fd) sampled every 10 s, to show whether
// either grows with the work done rather than with the work in flight; then a check that nothing
// was lost: the job holds every submitted URL and each of them ended (succeeded or failed).
//
//   npm run bench -- soak --urls 20000 [--sample-seconds 10] [--hosts 500] [--latency-ms 20] [--small-pages]
//
// The corpus is the end-to-end one (real pages, extraction-bound: about 50 URLs/s on two cores, so
// 200,000 URLs take about an hour); `--small-pages` serves one short article instead, to soak the
// queue, fetcher and storage faster.
import { readdirSync } from 'node:fs';
import { startBenchCorpus } from './corpus.mjs';
import { startCorpusServer } from './corpus-server.mjs';
import { flagValue, hasFlag } from './flags.mjs';
import { cpuSeconds, rssMb } from './process-stats.mjs';
import { startServer } from './server.mjs';

export const SETTINGS = {
  urls: Number(flagValue('--urls') ?? process.env.BENCH_URLS ?? 200_000),
  sampleSeconds: Number(flagValue('--sample-seconds') ?? 10),
  hosts: Number(flagValue('--hosts') ?? 500),
  latencyMs: Number(flagValue('--latency-ms') ?? 20),
  isSmallPages: hasFlag('--small-pages'),
  concurrency: 64,
  hostConcurrency: 4,
  hostRate: 20,
  hostBurst: 20,
};

const SMALL_PAGE = (n) =>
  `<!doctype html><html><head><title>Page ${n}</title></head><body><article><h1>Page ${n}</h1>` +
  `<p>Soak page ${n}: a paragraph long enough to be the main content of the page, with a few words more.</p>` +
  `<p>A second paragraph, and a <a href="/next/${n}">link</a>.</p></article></body></html>`;

function startCorpus(settings) {
  if (!settings.isSmallPages)
    return startBenchCorpus({ hosts: settings.hosts, latencyMs: settings.latencyMs });
  return startCorpusServer({
    hosts: settings.hosts,
    latencyMs: settings.latencyMs,
    handler(path) {
      if (path === '/robots.txt') return { status: 404, headers: { 'content-type': 'text/plain' }, body: '' };
      return {
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: SMALL_PAGE(path.split('/').pop()),
      };
    },
  });
}

function openFds(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response.json();
}

export async function run(settings = SETTINGS) {
  if (!Number.isSafeInteger(settings.urls) || settings.urls < 1)
    throw new TypeError(`Expected --urls to be a positive integer, got ${settings.urls}`);
  const corpus = await startCorpus(settings);
  const server = await startServer({
    DISTILL_CONCURRENCY: String(settings.concurrency),
    DISTILL_HOST_CONCURRENCY: String(settings.hostConcurrency),
    DISTILL_HOST_RATE: String(settings.hostRate),
    DISTILL_HOST_BURST: String(settings.hostBurst),
    DISTILL_MAX_URLS_PER_REQUEST: String(Math.max(100_000, settings.urls)),
  });
  const samples = [];
  try {
    const { pid } = server;
    const sample = (t0, job) => {
      const done = job ? job.counts.succeeded + job.counts.failed + job.counts.cancelled : 0;
      const previous = samples.at(-1);
      const seconds = (performance.now() - t0) / 1000;
      samples.push({
        seconds,
        done,
        urlsPerSecond: previous ? (done - previous.done) / Math.max(0.001, seconds - previous.seconds) : 0,
        rssMb: rssMb(pid),
        openFds: openFds(pid),
        cpuSeconds: cpuSeconds(pid),
      });
    };
    const t0 = performance.now();
    sample(t0, null);
    const urls = corpus.urls(settings.urls);
    const response = await fetch(`${server.url}/v1/jobs?maxAge=0&formats=text,markdown,links`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: `${urls.join('\n')}\n`,
    });
    const submitted = await response.json();
    if (response.status !== 202)
      throw new Error(`The submission answered ${response.status}: ${JSON.stringify(submitted)}`);
    const jobUrl = `${server.url}/v1/jobs/${submitted.job.id}`;
    let job = submitted.job;
    let nextSampleAt = performance.now() + settings.sampleSeconds * 1000;
    while (job.status !== 'completed' && job.status !== 'cancelled') {
      await new Promise((r) => setTimeout(r, 500));
      job = await getJson(jobUrl);
      if (performance.now() >= nextSampleAt) {
        sample(t0, job);
        const last = samples.at(-1);
        console.log(
          `${last.seconds.toFixed(0).padStart(6)} s  ${String(last.done).padStart(7)}/${settings.urls} done  ` +
            `${last.urlsPerSecond.toFixed(1).padStart(6)} URLs/s  RSS ${last.rssMb.toFixed(0)} MB  fds ${last.openFds}`,
        );
        nextSampleAt += settings.sampleSeconds * 1000;
      }
    }
    sample(t0, job);

    // Nothing lost: every URL is an item of the job, and none is left waiting.
    const waiting = [];
    for (const state of ['queued', 'running']) {
      const page = await getJson(`${jobUrl}/items?state=${state}&limit=10`);
      waiting.push(...page.items);
    }
    const ended = job.counts.succeeded + job.counts.failed + job.counts.cancelled;
    const check = {
      submitted: settings.urls,
      accepted: submitted.submission.accepted,
      total: job.total,
      succeeded: job.counts.succeeded,
      failed: job.counts.failed,
      cancelled: job.counts.cancelled,
      waiting: waiting.length,
      isNothingLost: job.total === settings.urls && ended === settings.urls && waiting.length === 0,
    };
    const rss = samples.map((s) => s.rssMb);
    const fds = samples.map((s) => s.openFds);
    const last = samples.at(-1);
    const summary = {
      seconds: last.seconds,
      urlsPerSecond: settings.urls / last.seconds,
      rssMbStart: rss[0],
      rssMbPeak: Math.max(...rss),
      rssMbEnd: rss.at(-1),
      fdsStart: fds[0],
      fdsMax: Math.max(...fds),
      fdsEnd: fds.at(-1),
      cpuSecondsPer1000: ((last.cpuSeconds - samples[0].cpuSeconds) / settings.urls) * 1000,
    };
    console.log('check', check);
    console.log('summary', summary);
    if (!check.isNothingLost) process.exitCode = 1;
    return {
      settings,
      check,
      summary,
      samples,
      rows: samples.map((s) => ({
        s: s.seconds.toFixed(0),
        done: s.done,
        'URLs/s': s.urlsPerSecond.toFixed(1),
        'RSS MB': s.rssMb.toFixed(0),
        'open fds': s.openFds,
      })),
    };
  } finally {
    await server.stop();
    await corpus.close();
  }
}
