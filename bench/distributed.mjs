// Distributed scenario: `distill api` plus one, then two, `distill worker` processes over
// PostgreSQL and Redis (BullMQ, shared per-host limits), on the end-to-end corpus. Reports URLs/s
// and the CPU of all processes per 1,000 URLs. Needs the local PostgreSQL and Redis
// (BENCH_POSTGRES_URL, BENCH_REDIS_URL override the defaults).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startBenchCorpus } from './corpus.mjs';
import { SETTINGS } from './end-to-end.mjs';
import { cpuSeconds, peakRssMb } from './process-stats.mjs';
import { waitForJob } from './server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function withSchema(fn) {
  const schema = `bench_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`create schema ${schema}`);
  try {
    const url = new URL(POSTGRES);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await fn(url.toString(), schema);
  } finally {
    await client.query(`drop schema ${schema} cascade`);
    await client.end();
  }
}

async function runWith(workers, corpus, databaseUrl, prefix) {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env = {
    ...process.env,
    PORT: String(port),
    DISTILL_DATABASE_URL: databaseUrl,
    DISTILL_REDIS_URL: REDIS,
    DISTILL_REDIS_PREFIX: prefix,
    DISTILL_FETCH_ALLOW: '127.0.0.1',
    DISTILL_CONCURRENCY: String(SETTINGS.concurrency),
    DISTILL_HOST_CONCURRENCY: String(SETTINGS.hostConcurrency),
    DISTILL_HOST_RATE: String(SETTINGS.hostRate),
    DISTILL_HOST_BURST: String(SETTINGS.hostBurst),
    DISTILL_LOG_LEVEL: 'warn',
  };
  const procs = [];
  const start = (role, extra = {}) => {
    const proc = spawn(process.execPath, [join(root, 'bin/distill.js'), role], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    procs.push(proc);
    return proc;
  };
  try {
    start('api');
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        if (i > 300) throw new Error('distill api did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Each worker process gets a share of the extraction threads: the machine has what it has.
    for (let i = 0; i < workers; i++) start('worker');
    await new Promise((r) => setTimeout(r, 1500));
    const cpu0 = procs.map((p) => cpuSeconds(p.pid));
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/jobs?maxAge=0`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: corpus.urls(SETTINGS.urls, `/w${workers}/`).join('\n'),
    });
    const { job } = await res.json();
    const final = await waitForJob(url, job.id, { pollMs: 200 });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = procs.reduce((sum, p, i) => sum + cpuSeconds(p.pid) - cpu0[i], 0);
    return {
      system: `distill api + ${workers} worker${workers > 1 ? 's' : ''} (PostgreSQL, Redis)`,
      urls: SETTINGS.urls,
      succeeded: final.counts.succeeded,
      failed: final.counts.failed,
      seconds,
      urlsPerSecond: SETTINGS.urls / seconds,
      cpuSecondsPer1000: (cpu / SETTINGS.urls) * 1000,
      peakRssMb: Math.max(...procs.map((p) => peakRssMb(p.pid))),
    };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : null)));
  }
}

export async function run() {
  const corpus = await startBenchCorpus({ hosts: SETTINGS.hosts, latencyMs: SETTINGS.latencyMs });
  try {
    const results = [];
    for (const workers of [1, 2]) {
      results.push(await withSchema((url, schema) => runWith(workers, corpus, url, schema)));
    }
    const rows = results.map((r) => ({
      system: r.system,
      URLs: r.urls,
      succeeded: r.succeeded,
      failed: r.failed,
      seconds: r.seconds.toFixed(1),
      'URLs/s': r.urlsPerSecond.toFixed(1),
      'CPU s / 1000 URLs (all processes)': r.cpuSecondsPer1000.toFixed(1),
      'peak RSS MB (largest process)': Math.round(r.peakRssMb),
    }));
    return { settings: SETTINGS, results, rows };
  } finally {
    await corpus.close();
  }
}
