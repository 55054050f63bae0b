// Peer scenario: the end-to-end scenario run with distill and with Crawlee (HttpCrawler +
// Readability) on the same corpus in the same invocation, and the ratio distill/Crawlee.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPORA, startBenchCorpus } from './corpus.mjs';
import { formatRow, runDistill, SETTINGS } from './end-to-end.mjs';

const here = dirname(fileURLToPath(import.meta.url));

async function runCrawlee(corpus, settings) {
  const urls = corpus.urls(settings.urls);
  const child = spawn(process.execPath, [join(here, 'peer-crawlee-run.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(
    JSON.stringify({ urls, concurrency: settings.peerConcurrency, hostRate: settings.hostRate }),
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`The Crawlee run exited with ${code}`);
  const r = JSON.parse(out.trim().split('\n').pop());
  return {
    system: 'Crawlee HttpCrawler + Readability',
    urls: settings.urls,
    succeeded: r.succeeded,
    failed: r.failed,
    seconds: r.seconds,
    urlsPerSecond: settings.urls / r.seconds,
    cpuSecondsPer1000: (r.cpuSeconds / settings.urls) * 1000,
    peakRssMb: r.maxRssMb,
  };
}

/** One corpus: distill, then Crawlee, on the same corpus server; the ratio of their URLs/s. */
async function runCorpus(name) {
  const corpus = await startBenchCorpus({
    hosts: SETTINGS.hosts,
    latencyMs: SETTINGS.latencyMs,
    corpus: name,
  });
  try {
    const distill = { ...(await runDistill(corpus)), corpus: name };
    const crawlee = { ...(await runCrawlee(corpus, SETTINGS)), corpus: name };
    return { distill, crawlee, ratio: distill.urlsPerSecond / crawlee.urlsPerSecond };
  } finally {
    await corpus.close();
  }
}

export async function run() {
  const names = process.env.BENCH_CORPUS ? [process.env.BENCH_CORPUS] : CORPORA;
  const runs = [];
  for (const name of names) runs.push(await runCorpus(name));
  return {
    settings: SETTINGS,
    results: runs.flatMap((r) => [r.distill, r.crawlee]),
    ratios: Object.fromEntries(runs.map((r) => [r.distill.corpus, r.ratio])),
    rows: runs.flatMap((r) => [
      { corpus: r.distill.corpus, ...formatRow(r.distill) },
      { corpus: r.crawlee.corpus, ...formatRow(r.crawlee) },
      { corpus: r.distill.corpus, system: 'ratio distill / Crawlee (URLs/s)', 'URLs/s': r.ratio.toFixed(2) },
    ]),
  };
}
