import { afterEach, describe, expect, it } from 'vitest';
import { createDeferred } from '../../src/lib/index.js';
import { waitFor } from '../helpers/store.js';
import { eventLogOf, gatedTask, getJson, postJson, startApp } from '../helpers/app-server.js';
import { startAmqpProxy, startConsumer, type ReceivedMessage } from '../helpers/amqp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; message?: string }>;
}

describe('chaos: RabbitMQ away while a job completes', () => {
  it('delivers every event of the job by id once the broker is back, and stays ready meanwhile while reporting the broker', async () => {
    const consumer = await startConsumer();
    cleanups.push(() => consumer.close());
    const proxy = await startAmqpProxy();
    cleanups.push(() => proxy.close());
    const gate = createDeferred();
    // The first 30 items run at once; the rest wait until the broker is away.
    const task = gatedTask((item) => (item.seq < 30 ? Promise.resolve() : gate.promise));
    const { app, url, close } = await startApp({ DISTILL_AMQP_URL: proxy.url }, { task });
    cleanups.push(close);
    const ofJob = (jobId: string): ReceivedMessage[] =>
      consumer.messages.filter((m) => m.body.jobId === jobId);

    const urls = Array.from({ length: 150 }, (_, i) => `https://example.com/rabbit-away/${i}`);
    const submitted = await postJson(`${url}/v1/jobs`, { urls, options: { maxAge: 0 } });
    expect(submitted.status).toBe(202);
    const jobId = (submitted.body.job as { id: string }).id;
    await waitFor(() => ofJob(jobId).length >= 20, 20_000, 'the first events on the broker');
    const before = await getJson(`${url}/readyz`);
    expect(before.status).toBe(200);
    expect((before.body as unknown as Readiness).checks.rabbitmq).toEqual({ ok: true });

    proxy.cut();
    gate.resolve();
    await waitFor(
      async () => (await app.repository.getJob(jobId))?.status === 'completed',
      20_000,
      'the job to complete',
    );
    // The broker is away: the process is still ready (nothing is lost, the events wait in the
    // outbox), and the report names the broker once the sink has seen its connection go.
    let away = await getJson(`${url}/readyz`);
    await waitFor(
      async () => {
        away = await getJson(`${url}/readyz`);
        return (away.body as unknown as Readiness).checks.rabbitmq?.ok === false;
      },
      15_000,
      '/readyz to report the broker away',
    );
    expect(away.status).toBe(200);
    const report = away.body as unknown as Readiness;
    expect(report.status).toBe('ready');
    expect(report.checks.rabbitmq?.ok).toBe(false);
    expect(report.checks.rabbitmq?.message).toMatch(/RabbitMQ is not reachable; events wait in the outbox/);
    expect(report.checks.database).toEqual({ ok: true });
    expect((await app.repository.listUnpublishedEvents(1000)).some((e) => e.jobId === jobId)).toBe(true);

    proxy.restore();
    await waitFor(
      () => ofJob(jobId).some((m) => m.routingKey === 'job.completed'),
      45_000,
      'job.completed after the broker came back',
    );
    await waitFor(
      async () => (await app.repository.listUnpublishedEvents(1000)).every((e) => e.jobId !== jobId),
      10_000,
      'the outbox to empty',
    );

    // At least once: a batch cut before its confirm may arrive twice, so compare sets of ids.
    const log = await eventLogOf(url, jobId);
    expect(log).toHaveLength(urls.length + 2); // job.created, 150 × document.extracted, job.completed
    const receivedIds = new Set(ofJob(jobId).map((m) => m.messageId));
    expect(receivedIds).toEqual(new Set(log.map((e) => e.id)));
    const after = await getJson(`${url}/readyz`);
    expect((after.body as unknown as Readiness).checks.rabbitmq).toEqual({ ok: true });
  }, 90_000);
});
