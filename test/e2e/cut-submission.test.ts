import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, SubmitResponse } from '../../src/client/types.js';
import { freePort } from '../helpers/net.js';
import { startServe } from '../helpers/serve.js';
import { waitFor } from '../helpers/store.js';

describe('a streamed submission cut by a crash', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'distill-cut-'));
  });

  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** `distill serve` from the sources in a child process, once it answers (as in flow.test.ts). */
  async function startServer(port: number): Promise<ChildProcess> {
    return startServe(
      port,
      {
        DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
        DISTILL_CONCURRENCY: '2',
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_LOG_LEVEL: 'warn',
      },
      (proc) => {
        child = proc;
      },
    );
  }

  it('binds the Idempotency-Key only to a whole submission: after a SIGKILL mid-upload the retry makes a whole job, and the cut one says so', async () => {
    const port = await freePort();
    child = await startServer(port);
    const base = `http://127.0.0.1:${port}`;
    // Loopback URLs outside DISTILL_FETCH_ALLOW: every fetch is refused by the guard, no socket opened.
    const urls = Array.from({ length: 30_000 }, (_, i) => `http://127.0.0.1:9/cut/${i}`);
    const body = `${urls.join('\n')}\n`;
    const listJobs = async (): Promise<JobView[]> =>
      ((await (await fetch(`${base}/v1/jobs?limit=10`)).json()) as { items: JobView[] }).items;

    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    socket.resume();
    await once(socket, 'connect');
    socket.write(
      `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nIdempotency-Key: crash-1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    socket.write(urls.slice(0, 12_000).join('\n'));
    await waitFor(
      async () => (await listJobs()).some((job) => job.total > 0),
      30_000,
      'the first batches to be stored',
    );
    child.kill('SIGKILL');
    await once(child, 'exit');
    socket.destroy();

    child = await startServer(port);
    const [cut] = await listJobs();
    expect(cut).toMatchObject({ intake: 'open' });
    expect(cut!.total).toBeLessThan(urls.length);

    const submit = () =>
      fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'idempotency-key': 'crash-1' },
        body,
      });
    const retried = await submit();
    expect(retried.status).toBe(202);
    const whole = (await retried.json()) as SubmitResponse;
    expect(whole.job.id).not.toBe(cut!.id);
    expect(whole.job.total).toBe(urls.length);
    expect(whole.job.intake).toBeUndefined();
    const replayed = await submit();
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({
      job: { id: whole.job.id, total: urls.length },
      submission: { replayed: true },
    });

    child.kill('SIGTERM');
    await once(child, 'exit');
    child = undefined;
  }, 300_000);
});
