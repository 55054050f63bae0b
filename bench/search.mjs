// Search scenario (issue 18): full-text query latency at 100,000 documents, on SQLite (FTS5) and
// PostgreSQL (tsvector + GIN) — and MySQL when BENCH_SEARCH_MYSQL_URL is set. Documents of 200
// words drawn from a Zipf-distributed vocabulary of 20,000 words are written straight into the
// tables (one job of the tenant refers to every one), then each query runs 30 times through the
// search store (ranking, tenant scope, the page's snippets), limit 10; p50 and p95 are reported.
//   npm run bench -- search            BENCH_SEARCH_DOCS=100000 BENCH_SEARCH_POSTGRES_URL=postgres://…
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { parseSearchQuery } from '../dist/jobs/index.js';
import { KyselyJobRepository, migrateToLatest, openDatabase } from '../dist/storage/index.js';

const DOCS = Number(process.env.BENCH_SEARCH_DOCS ?? 100_000);
const WORDS_PER_DOC = 200;
const VOCABULARY = 20_000;
const RUNS = 30;
const BATCH = 500;

/** A deterministic word list: `w<rank>` spelled in letters so every engine tokenizes it as one word. */
function word(rank) {
  let out = '';
  let n = rank + 1;
  while (n > 0) {
    out += String.fromCharCode(97 + (n % 26));
    n = Math.floor(n / 26);
  }
  return `${out}x`;
}

/** Zipf (s = 1) sampling by inverse CDF over a precomputed table; a seeded PRNG keeps runs equal. */
function sampler(seed) {
  // mulberry32: 32-bit integer arithmetic (an LCG in doubles loses its low bits past 2^53).
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const cdf = new Float64Array(VOCABULARY);
  let total = 0;
  for (let i = 0; i < VOCABULARY; i++) cdf[i] = total += 1 / (i + 1);
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function seed(db) {
  const now = Date.now();
  const jobId = '00000000-0000-4000-8000-000000000001';
  await db
    .insertInto('jobs')
    .values({
      id: jobId,
      status: 'completed',
      options: '{}',
      webhook: null,
      idempotency_key: null,
      total: DOCS,
      reused: 0,
      queued: 0,
      running: 0,
      succeeded: DOCS,
      failed: 0,
      cancelled: 0,
      next_seq: DOCS,
      last_claimed_at: now,
      created_at: now,
      updated_at: now,
      finished_at: now,
      tenant: 'default',
      intake: 'ended',
    })
    .execute();
  const next = sampler(42);
  const t0 = performance.now();
  for (let start = 0; start < DOCS; start += BATCH) {
    const docs = [];
    const items = [];
    for (let i = start; i < Math.min(DOCS, start + BATCH); i++) {
      const words = Array.from({ length: WORDS_PER_DOC }, () => word(next()));
      const text = words.join(' ');
      const id = `doc-${String(i).padStart(8, '0')}`;
      const url = `https://bench.test/${i}`;
      docs.push({
        id,
        url_key: `k${i}`,
        url,
        final_url: url,
        canonical_url: null,
        mime_type: 'text/html',
        http_status: 200,
        title: words.slice(0, 6).join(' '),
        byline: null,
        description: null,
        site_name: null,
        lang: 'en',
        published_time: null,
        text,
        markdown: text,
        html: null,
        links: '[]',
        word_count: WORDS_PER_DOC,
        extractor: 'bench',
        quality: '{}',
        metadata: '{}',
        content_hash: String(i),
        fetched_at: now,
        created_at: now,
        updated_at: now,
      });
      items.push({
        job_id: jobId,
        seq: i,
        url,
        url_key: `k${i}`,
        state: 'succeeded',
        attempts: 1,
        run_after: now,
        lease_token: null,
        lease_expires_at: null,
        error_code: null,
        error_message: null,
        http_status: 200,
        document_id: id,
        created_at: now,
        updated_at: now,
        finished_at: now,
      });
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('documents').values(docs).execute();
      await trx.insertInto('job_items').values(items).execute();
    });
    if (start % 20_000 === 0) process.stderr.write(`  seeded ${start} documents\n`);
  }
  return { jobId, seedSeconds: (performance.now() - t0) / 1000 };
}

const QUERIES = [
  ['rare word (rank 15,000)', () => word(15_000)],
  ['medium word (rank 500)', () => word(500)],
  ['common word (rank 3)', () => word(3)],
  ['two words AND', () => `${word(40)} ${word(60)}`],
  ['phrase of two', () => `"${word(0)} ${word(1)}"`],
  ['prefix', () => `${word(900).slice(0, 3)}*`],
  ['OR and exclusion', () => `${word(300)} OR ${word(301)} -${word(200)}`],
];

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(name, url, onClose) {
  const handle = openDatabase(url, { poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    const { jobId, seedSeconds } = await seed(handle.db);
    if (handle.dialect === 'postgres') await sql`analyze`.execute(handle.db);
    const repository = new KyselyJobRepository({ db: handle.db, dialect: handle.dialect });
    const rows = [];
    for (const [label, make] of QUERIES) {
      const parsed = parseSearchQuery(make());
      if (!parsed.ok) throw new Error(parsed.message);
      for (const scope of ['tenant', 'job']) {
        const times = [];
        let first;
        for (let i = 0; i < RUNS; i++) {
          const t0 = performance.now();
          const page = await repository.searchDocuments({
            query: parsed.query,
            tenant: 'default',
            jobId: scope === 'job' ? jobId : undefined,
            limit: 10,
          });
          times.push(performance.now() - t0);
          first ??= page;
        }
        const matches = await countMatches(handle, parsed.query, repository);
        times.sort((a, b) => a - b);
        rows.push({
          database: name,
          query: label,
          scope,
          matches,
          hitsOnPage: first.items.length,
          p50Ms: +percentile(times, 50).toFixed(1),
          p95Ms: +percentile(times, 95).toFixed(1),
        });
      }
    }
    return { rows, seedSeconds };
  } finally {
    await handle.close();
    await onClose?.();
  }
}

/** How many documents match, by paging the store with a large limit (once, not timed). */
async function countMatches(_handle, query, repository) {
  let count = 0;
  let cursor;
  do {
    const page = await repository.searchDocuments({ query, tenant: 'default', limit: 50_000, cursor });
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return count;
}

export async function run() {
  const rows = [];
  const seeds = {};
  const dir = mkdtempSync(join(tmpdir(), 'distill-bench-search-'));
  try {
    const sqlite = await measure('sqlite', `sqlite:${join(dir, 'search.db')}`);
    rows.push(...sqlite.rows);
    seeds.sqlite = sqlite.seedSeconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const postgresUrl = process.env.BENCH_SEARCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (postgresUrl !== 'off') {
    const schema = `bench_search_${process.pid}`;
    const admin = openDatabase(postgresUrl, { poolSize: 1 });
    await sql.raw(`create schema ${schema}`).execute(admin.db);
    const url = `${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const result = await measure('postgres', url, async () => {
      await sql.raw(`drop schema ${schema} cascade`).execute(admin.db);
      await admin.close();
    });
    rows.push(...result.rows);
    seeds.postgres = result.seedSeconds;
  }
  if (process.env.BENCH_SEARCH_MYSQL_URL) {
    const result = await measure('mysql', process.env.BENCH_SEARCH_MYSQL_URL);
    rows.push(...result.rows);
    seeds.mysql = result.seedSeconds;
  }
  return {
    rows,
    summary: `${DOCS} documents of ${WORDS_PER_DOC} words; seeding (index kept in step on insert) took ${Object.entries(
      seeds,
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
      .join(', ')}`,
  };
}
