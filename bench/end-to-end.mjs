// End-to-end scenario: 5,000 URLs over 200 hosts with 50 ms simulated latency, submitted to a real
// `distill serve` process; URLs/s until every item is final, CPU seconds per 1,000 URLs and peak RSS
// of the server process (worker threads included), and the CPU of its main thread alone.
import { startBenchCorpus } from './corpus.mjs';
import { cpuSeconds, mainThreadCpuSeconds, peakRssMb } from './process-stats.mjs';
import { startServer, waitForJob } from './server.mjs';

export const SETTINGS = {
  urls: Number(process.env.BENCH_URLS ?? 5000),
  hosts: Number(process.env.BENCH_HOSTS ?? 200),
  latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 50),
  // distill at its default (`auto`) unless told; the peer keeps 64 requests in flight.
  concurrency: process.env.BENCH_CONCURRENCY ?? 'auto',
  peerConcurrency: Number(process.env.BENCH_PEER_CONCURRENCY ?? 64),
  hostConcurrency: 2,
  hostRate: 2,
  hostBurst: 4,
};

export async function runDistill(corpus, settings = SETTINGS) {
  const server = await startServer({
    DISTILL_CONCURRENCY: String(settings.concurrency),
    DISTILL_HOST_CONCURRENCY: String(settings.hostConcurrency),
    DISTILL_HOST_RATE: String(settings.hostRate),
    DISTILL_HOST_BURST: String(settings.hostBurst),
  });
  try {
    const urls = corpus.urls(settings.urls);
    const cpu0 = cpuSeconds(server.pid);
    const mainCpu0 = mainThreadCpuSeconds(server.pid);
    const t0 = performance.now();
    const res = await fetch(`${server.url}/v1/jobs?maxAge=0&formats=text,markdown,links`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: urls.join('\n'),
    });
    const { job } = await res.json();
    const final = await waitForJob(server.url, job.id, { pollMs: 100 });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(server.pid) - cpu0;
    const mainCpu = mainThreadCpuSeconds(server.pid) - mainCpu0;
    // Attempts that gave their slot back to wait for their host (politeness), from /metrics.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const rescheduled = [
      ...metrics.matchAll(/^distill_item_outcomes_total\{state="retry",code="rescheduled"\} (\d+)/gm),
    ].reduce((sum, m) => sum + Number(m[1]), 0);
    // Finished attempts per transaction (group commit), when the server reports it.
    const counter = (name) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);
    const meanBatch =
      counter('distill_group_commit_items_total') / counter('distill_group_commit_batches_total');
    return {
      system: 'distill',
      urls: settings.urls,
      succeeded: final.counts.succeeded,
      failed: final.counts.failed,
      seconds,
      urlsPerSecond: settings.urls / seconds,
      cpuSecondsPer1000: (cpu / settings.urls) * 1000,
      mainThreadCpuSecondsPer1000: (mainCpu / settings.urls) * 1000,
      peakRssMb: peakRssMb(server.pid),
      rescheduled,
      ...(Number.isFinite(meanBatch) ? { meanBatch } : {}),
    };
  } finally {
    await server.stop();
  }
}

export async function run() {
  const corpus = await startBenchCorpus({ hosts: SETTINGS.hosts, latencyMs: SETTINGS.latencyMs });
  try {
    const result = await runDistill(corpus);
    return { settings: SETTINGS, results: [result], rows: [formatRow(result)] };
  } finally {
    await corpus.close();
  }
}

export function formatRow(r) {
  return {
    system: r.system,
    URLs: r.urls,
    succeeded: r.succeeded,
    failed: r.failed,
    seconds: r.seconds.toFixed(1),
    'URLs/s': r.urlsPerSecond.toFixed(1),
    'CPU s / 1000 URLs': r.cpuSecondsPer1000.toFixed(1),
    ...(r.mainThreadCpuSecondsPer1000 !== undefined
      ? { 'main thread CPU s / 1000': r.mainThreadCpuSecondsPer1000.toFixed(2) }
      : {}),
    'peak RSS MB': Math.round(r.peakRssMb),
    ...(r.rescheduled !== undefined ? { rescheduled: r.rescheduled } : {}),
    ...(r.meanBatch !== undefined ? { 'items per commit': r.meanBatch.toFixed(2) } : {}),
  };
}
