// Ingest scenario: how fast `POST /v1/jobs` accepts URLs (one request of 100,000 URLs as JSON,
// and as streamed text) and the p50/p99 latency of 100-URL posts from 16 concurrent clients. What
// is measured is the API and the write path: the server has one worker slot, held by a host that
// answers after a minute, so fetching and extracting do not compete for the CPU. On a machine shared
// with other work the wall time moves with the load; the server's CPU per 1,000 URLs (all threads,
// and the main thread alone: the event loop, where parsing, hashing and the inserts run) does less.
import { startCorpusServer } from './corpus-server.mjs';
import { cpuSeconds, mainThreadCpuSeconds } from './process-stats.mjs';
import { startServer } from './server.mjs';

const BIG = Number(process.env.BENCH_INGEST_URLS ?? 100_000);
const CLIENTS = 16;
const POSTS_PER_CLIENT = Number(process.env.BENCH_INGEST_POSTS ?? 25);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run() {
  // One slow host, so the few items the single worker slot claims stay in flight and the
  // measurement is of the API and the database writes.
  const corpus = await startCorpusServer({ hosts: 1, latencyMs: 60_000, handler: () => ({ body: '' }) });
  const server = await startServer({
    DISTILL_CONCURRENCY: '1',
    DISTILL_MAX_REQUEST_BYTES: String(256 * 1024 * 1024),
  });
  try {
    const origin = corpus.origins[0];
    const urls = (tag, n) => Array.from({ length: n }, (_, i) => `${origin}/${tag}/${i}`);
    const rows = [];

    const cpu = () => ({ all: cpuSeconds(server.pid), main: mainThreadCpuSeconds(server.pid) });
    const post = async (measure, contentType, body) => {
      const before = cpu();
      const t0 = performance.now();
      const res = await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      const ms = performance.now() - t0;
      const json = await res.json();
      const after = cpu();
      const perThousand = (s) => Number(((s * 1000) / (BIG / 1000)).toFixed(1));
      rows.push({
        measure,
        value: Math.round(BIG / (ms / 1000)),
        unit: 'URLs/s',
        ms: Math.round(ms),
        accepted: json.submission.accepted,
        'server CPU ms / 1000 URLs': perThousand(after.all - before.all),
        'main thread CPU ms / 1000 URLs': perThousand(after.main - before.main),
      });
    };
    await post(`POST ${BIG} URLs as JSON`, 'application/json', JSON.stringify({ urls: urls('json', BIG) }));
    await post(`POST ${BIG} URLs as streamed text`, 'text/plain', urls('text', BIG).join('\n'));

    const latencies = [];
    let counter = 0;
    const client = async (c) => {
      for (let i = 0; i < POSTS_PER_CLIENT; i++) {
        const batch = urls(`small-${c}-${i}-${counter++}`, 100);
        const start = performance.now();
        const r = await fetch(`${server.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ urls: batch }),
        });
        await r.arrayBuffer();
        latencies.push(performance.now() - start);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const ms = performance.now() - t0;
    latencies.sort((a, b) => a - b);
    rows.push({
      measure: `100-URL posts, ${CLIENTS} concurrent clients: p50`,
      value: Number(percentile(latencies, 50).toFixed(1)),
      unit: 'ms',
      ms: null,
      accepted: null,
    });
    rows.push({
      measure: `100-URL posts, ${CLIENTS} concurrent clients: p99`,
      value: Number(percentile(latencies, 99).toFixed(1)),
      unit: 'ms',
      ms: null,
      accepted: null,
    });
    rows.push({
      measure: `100-URL posts, ${CLIENTS} concurrent clients: throughput`,
      value: Math.round((latencies.length * 100) / (ms / 1000)),
      unit: 'URLs/s',
      ms: Math.round(ms),
      accepted: null,
    });
    return { rows };
  } finally {
    await server.stop();
    await corpus.close();
  }
}
