// The benchmark corpora, served under many URLs and hosts by the local corpus server, each response
// made unique per URL (a paragraph naming the URL is inserted into the body) so nothing can be cached
// or deduplicated by content:
//   readability  the 130 pages of ../shared/datasets/readability-test-pages (median ~60 KB)
//   wcxb         the 1,497 pages of ../shared/datasets/wcxb-dev (2025-26, median ~180 KB: what users fetch today)
// `BENCH_CORPUS` picks one for the scenarios that take a single corpus (default readability); `peer`
// runs both. The datasets are read at run time and never copied into the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCorpusServer } from './corpus-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const DATASETS = resolve(process.env.DISTILL_DATASETS ?? join(here, '../../shared/datasets'));

/** The corpora by name. */
export const CORPORA = ['readability', 'wcxb'];

/** The corpus of the single-corpus scenarios. */
export const DEFAULT_CORPUS = process.env.BENCH_CORPUS ?? 'readability';

/** The source pages of a corpus, as strings, in a fixed order. */
export function loadPages(corpus = DEFAULT_CORPUS) {
  if (!CORPORA.includes(corpus))
    throw new Error(`Unknown corpus ${JSON.stringify(corpus)}: expected one of ${CORPORA.join(', ')}`);
  const dir = join(DATASETS, corpus === 'wcxb' ? 'wcxb-dev/html' : 'readability-test-pages');
  if (!existsSync(dir)) {
    throw new Error(`Benchmark pages not found at ${dir}; set DISTILL_DATASETS to the datasets folder`);
  }
  if (corpus === 'wcxb') {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.html.gz'))
      .sort()
      .map((name) => gunzipSync(readFileSync(join(dir, name))).toString('utf8'));
  }
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'source.html')))
    .sort()
    .map((name) => readFileSync(join(dir, name, 'source.html'), 'utf8'));
}

/**
 * Starts the corpus server: `hosts` ports, `latencyMs` (+ `jitterMs`) before each answer,
 * `errorRate` of 503s. Page i of the URL list is dataset page i mod N, made unique.
 */
export async function startBenchCorpus({
  hosts = 200,
  latencyMs = 50,
  jitterMs = 0,
  errorRate = 0,
  corpus = DEFAULT_CORPUS,
} = {}) {
  const pages = loadPages(corpus);
  return startCorpusServer({
    hosts,
    latencyMs,
    jitterMs,
    errorRate,
    handler(path) {
      if (path === '/robots.txt') return { status: 404, headers: { 'content-type': 'text/plain' }, body: '' };
      const index = Number(path.split('/').pop()) || 0;
      const page = pages[index % pages.length];
      const marker = `<p>Unique page ${index} served at ${path}.</p>`;
      const at = page.search(/<body[^>]*>/i);
      const body = at < 0 ? marker + page : page.replace(/<body[^>]*>/i, (tag) => tag + marker);
      return { headers: { 'content-type': 'text/html; charset=utf-8' }, body };
    },
  });
}
