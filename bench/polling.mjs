// Polling scenario: `GET /v1/jobs/:id` from 8 concurrent clients while a job of 5,000 URLs runs
// (the end-to-end corpus): requests per second and p50/p99 latency of the status call.
// BENCH_EVENT_LOOP_FILE=/tmp/eld.json with BENCH_SERVER_NODE_ARGS="--import ./bench/event-loop-delay.mjs"
// also reports the server's event-loop delay over the polling window.
import { readFileSync, rmSync } from 'node:fs';
import { startBenchCorpus } from './corpus.mjs';
import { SETTINGS } from './end-to-end.mjs';
import { startServer } from './server.mjs';

const CLIENTS = 8;
const DURATION_MS = Number(process.env.BENCH_POLL_MS ?? 15_000);

export async function run() {
  const corpus = await startBenchCorpus({ hosts: SETTINGS.hosts, latencyMs: SETTINGS.latencyMs });
  const server = await startServer({ DISTILL_CONCURRENCY: String(SETTINGS.concurrency) });
  try {
    const res = await fetch(`${server.url}/v1/jobs?maxAge=0`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: corpus.urls(SETTINGS.urls, '/poll/').join('\n'),
    });
    const { job } = await res.json();
    const eventLoopFile = process.env.BENCH_EVENT_LOOP_FILE;
    if (eventLoopFile) {
      rmSync(eventLoopFile, { force: true });
      process.kill(server.pid, 'SIGUSR2');
    }
    const latencies = [];
    const deadline = performance.now() + DURATION_MS;
    const client = async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const r = await fetch(`${server.url}/v1/jobs/${job.id}`);
        await r.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    let eventLoop;
    if (eventLoopFile) {
      process.kill(server.pid, 'SIGUSR2');
      for (let i = 0; i < 50 && eventLoop === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          eventLoop = JSON.parse(readFileSync(eventLoopFile, 'utf8').trim().split('\n').at(-1));
        } catch {
          // not written yet
        }
      }
    }
    const status = await (await fetch(`${server.url}/v1/jobs/${job.id}`)).json();
    latencies.sort((a, b) => a - b);
    const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
    return {
      rows: [
        {
          measure: `GET /v1/jobs/:id, ${CLIENTS} clients, while the job runs`,
          value: Math.round(latencies.length / (DURATION_MS / 1000)),
          unit: 'requests/s',
        },
        { measure: 'status latency p50', value: Number(at(50).toFixed(2)), unit: 'ms' },
        { measure: 'status latency p99', value: Number(at(99).toFixed(2)), unit: 'ms' },
        {
          measure: 'URLs finished meanwhile',
          value: status.counts.succeeded + status.counts.failed,
          unit: 'URLs',
        },
        ...(eventLoop
          ? [
              { measure: 'server event-loop delay p50', value: eventLoop.p50, unit: 'ms' },
              { measure: 'server event-loop delay p99', value: eventLoop.p99, unit: 'ms' },
              { measure: 'server event-loop delay max', value: eventLoop.max, unit: 'ms' },
            ]
          : []),
      ],
    };
  } finally {
    await server.stop();
    await corpus.close();
  }
}
