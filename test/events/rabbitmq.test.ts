import { afterEach, describe, expect, it } from 'vitest';
import { createDeferred } from '../../src/lib/index.js';
import { waitFor } from '../helpers/store.js';
import { eventLogOf, gatedTask, getJson, postJson, startApp } from '../helpers/app-server.js';
import { startAmqpProxy, startConsumer, type ReceivedMessage } from '../helpers/amqp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function urls(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `https://example.com/${tag}/${i}`);
}

function ofJob(messages: readonly ReceivedMessage[], jobId: string): ReceivedMessage[] {
  return messages.filter((m) => m.body.jobId === jobId);
}

describe('RabbitMQ sink (real broker)', () => {
  it('delivers every event of a 200-URL job to a consumer, each event id once, in order', async () => {
    const consumer = await startConsumer();
    cleanups.push(() => consumer.close());
    const proxy = await startAmqpProxy();
    cleanups.push(() => proxy.close());
    const { url, close: stopApp } = await startApp({ DISTILL_AMQP_URL: proxy.url });
    cleanups.push(stopApp);

    const submitted = await postJson(`${url}/v1/jobs`, {
      urls: urls(200, 'straight'),
      options: { maxAge: 0 },
    });
    expect(submitted.status).toBe(202);
    const jobId = (submitted.body.job as { id: string }).id;
    await waitFor(
      () => ofJob(consumer.messages, jobId).some((m) => m.routingKey === 'job.completed'),
      30_000,
      'job.completed on the broker',
    );

    const log = await eventLogOf(url, jobId);
    expect(log).toHaveLength(202); // job.created, 200 × document.extracted, job.completed
    const received = ofJob(consumer.messages, jobId);
    expect(received.map((m) => m.messageId)).toEqual(log.map((e) => e.id));
    expect(new Set(received.map((m) => m.messageId)).size).toBe(received.length);
    for (const message of received) {
      expect(message.routingKey).toBe(message.body.type);
      expect(message.messageId).toBe(message.body.id);
      expect(message.isPersistent).toBe(true);
    }
    const extracted = received.filter((m) => m.routingKey === 'document.extracted');
    expect(extracted).toHaveLength(200);
    expect(extracted[0]!.body.data).toMatchObject({
      id: expect.any(String),
      url: expect.stringMatching(/^https:\/\/example\.com\//),
      title: expect.any(String),
      wordCount: 3,
    });
    expect(extracted[0]!.body.data).not.toHaveProperty('text');
  });

  it('loses no event when the broker is unreachable mid-job, and the API keeps answering', async () => {
    const consumer = await startConsumer();
    cleanups.push(() => consumer.close());
    const proxy = await startAmqpProxy();
    cleanups.push(() => proxy.close());
    const gate = createDeferred();
    // The first 60 items run at once; the rest wait until the broker has been cut.
    const task = gatedTask((item) => (item.seq < 60 ? Promise.resolve() : gate.promise));
    const { app, url, close: stopApp } = await startApp({ DISTILL_AMQP_URL: proxy.url }, { task });
    cleanups.push(stopApp);

    const submitted = await postJson(`${url}/v1/jobs`, { urls: urls(200, 'cut'), options: { maxAge: 0 } });
    const jobId = (submitted.body.job as { id: string }).id;
    await waitFor(
      () => ofJob(consumer.messages, jobId).length >= 40,
      20_000,
      'the first events on the broker',
    );

    proxy.cut();
    gate.resolve();
    await waitFor(
      async () => (await app.repository.getJob(jobId))?.status === 'completed',
      20_000,
      'the job to complete',
    );
    // The broker is away: the API answers, and the last events wait in the outbox.
    const job = await getJson(`${url}/v1/jobs/${jobId}`);
    expect(job.status).toBe(200);
    const waiting = await app.repository.listUnpublishedEvents(1000);
    expect(waiting.filter((e) => e.jobId === jobId).length).toBeGreaterThan(0);

    proxy.restore();
    await waitFor(
      () => ofJob(consumer.messages, jobId).some((m) => m.routingKey === 'job.completed'),
      40_000,
      'job.completed after the broker came back',
    );
    await waitFor(
      async () => (await app.repository.listUnpublishedEvents(1000)).every((e) => e.jobId !== jobId),
      10_000,
      'the outbox to empty',
    );

    const log = await eventLogOf(url, jobId);
    expect(log).toHaveLength(202);
    const receivedIds = new Set(ofJob(consumer.messages, jobId).map((m) => m.messageId));
    // At least once: every event arrived (a batch cut before its confirm may arrive twice).
    expect(log.filter((e) => !receivedIds.has(e.id))).toEqual([]);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
  });
});
