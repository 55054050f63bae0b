// Starts `distill serve` (the built dist/) in a child process on a free port, over a fresh SQLite
// file, for the benchmark scenarios; `stop()` ends it with SIGTERM and removes the file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startServer(env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'distill-bench-'));
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin/distill.js'), 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      DISTILL_DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
      DISTILL_FETCH_ALLOW: '127.0.0.1',
      DISTILL_LOG_LEVEL: 'warn',
      // One benchmark client stands in for many users: the per-client rate limit would cap it.
      DISTILL_RATE_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('distill serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the job until it is final; calls `onTick(job)` on every poll. */
export async function waitForJob(url, jobId, { pollMs = 200, onTick } = {}) {
  for (;;) {
    const job = await (await fetch(`${url}/v1/jobs/${jobId}`)).json();
    onTick?.(job);
    if (job.status === 'completed' || job.status === 'cancelled') return job;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
