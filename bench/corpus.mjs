// The benchmark corpus: pages of ../shared/datasets/readability-test-pages served under many URLs
// and hosts by the local corpus server, each response made unique per URL (a paragraph naming the
// URL is inserted into the body) so nothing can be cached or deduplicated by content. The dataset
// is read at run time and never copied into the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCorpusServer } from './corpus-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const DATASETS = resolve(process.env.DISTILL_DATASETS ?? join(here, '../../shared/datasets'));

/** The source pages of readability-test-pages, as strings. */
export function loadPages() {
  const dir = join(DATASETS, 'readability-test-pages');
  if (!existsSync(dir)) {
    throw new Error(`Benchmark pages not found at ${dir}; set DISTILL_DATASETS to the datasets folder`);
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
export async function startBenchCorpus({ hosts = 200, latencyMs = 50, jitterMs = 0, errorRate = 0 } = {}) {
  const pages = loadPages();
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
