import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/events/sinks/webhook/index.js';
import { waitFor } from '../helpers/store.js';
import { getJson, postJson, startApp } from '../helpers/app-server.js';
import { startReceiver } from '../helpers/amqp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The README's verification recipe, word for word. */
function verify(
  secret: string,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  const timestamp = String(headers['distill-timestamp']);
  const signature = String(headers['distill-signature']);
  const expected = 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
  return (
    fresh &&
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}

interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

describe('webhooks', () => {
  it('retries a receiver that fails twice, then delivers every event in order with a valid signature', async () => {
    const receiver = await startReceiver((index) => (index < 2 ? 503 : 200));
    cleanups.push(() => receiver.close());
    const { url, close: stopApp } = await startApp({
      DISTILL_FETCH_ALLOW: `127.0.0.1:${receiver.port}`,
      DISTILL_WEBHOOK_RETRY_BASE_MS: '50',
    });
    cleanups.push(stopApp);
    const secret = 'whsec_test_1234';

    const submitted = await postJson(`${url}/v1/jobs`, {
      urls: ['https://example.com/w/1', 'https://example.com/w/2', 'https://example.com/w/3'],
      options: { maxAge: 0 },
      webhook: { url: receiver.url, secret },
    });
    expect(submitted.status).toBe(202);
    const jobId = (submitted.body.job as { id: string }).id;
    await waitFor(
      () =>
        receiver.requests.some(
          (r) => r.status === 200 && (JSON.parse(r.body) as { type: string }).type === 'job.completed',
        ),
      20_000,
      'job.completed at the receiver',
    );

    // The first call was tried three times: same event id, same body, a fresh timestamp each time.
    const first = receiver.requests.slice(0, 3);
    expect(first.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(first.map((r) => r.headers['distill-event-id'])).size).toBe(1);
    expect(new Set(first.map((r) => r.body)).size).toBe(1);

    const delivered = receiver.requests.filter((r) => r.status === 200);
    const bodies = delivered.map(
      (r) =>
        JSON.parse(r.body) as { id: string; type: string; createdAt: string; jobId: string; data: unknown },
    );
    expect(bodies.map((b) => b.type)).toEqual([
      'job.created',
      'document.extracted',
      'document.extracted',
      'document.extracted',
      'job.completed',
    ]);
    expect(bodies.map((b) => Number(b.id))).toEqual(
      [...bodies.map((b) => Number(b.id))].sort((a, b) => a - b),
    );
    for (const [i, request] of delivered.entries()) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['distill-event-id']).toBe(bodies[i]!.id);
      expect(request.headers['distill-event-type']).toBe(bodies[i]!.type);
      expect(bodies[i]).toMatchObject({ jobId, createdAt: expect.any(String), data: expect.any(Object) });
      expect(verify(secret, request.body, request.headers)).toBe(true);
      expect(
        verifyWebhookSignature({
          secret,
          body: request.body,
          timestamp: request.headers['distill-timestamp'] as string,
          signature: request.headers['distill-signature'] as string,
        }),
      ).toBe(true);
    }

    // A tampered body, a wrong secret or an old timestamp fail the same recipe.
    const sample = delivered[1]!;
    expect(
      verify(secret, sample.body.replace('document.extracted', 'document.extracteD'), sample.headers),
    ).toBe(false);
    expect(verify('another-secret', sample.body, sample.headers)).toBe(false);
    expect(
      verify(secret, sample.body, {
        ...sample.headers,
        'distill-timestamp': String(Number(sample.headers['distill-timestamp']) - 1),
      }),
    ).toBe(false);
    expect(
      verifyWebhookSignature({
        secret,
        body: `${sample.body} `,
        timestamp: sample.headers['distill-timestamp'] as string,
        signature: sample.headers['distill-signature'] as string,
      }),
    ).toBe(false);

    // The deliveries are listed with their attempts and status.
    const { status, body } = await getJson(`${url}/v1/jobs/${jobId}/webhooks`);
    expect(status).toBe(200);
    const deliveries = body.items as DeliveryView[];
    expect(deliveries).toHaveLength(5);
    expect(deliveries[0]).toMatchObject({
      eventType: 'job.created',
      status: 'delivered',
      attempts: 3,
      lastError: null,
    });
    expect(deliveries.slice(1).every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);

    // A replay sends the same event again.
    const before = receiver.requests.length;
    const replay = await postJson(`${url}/v1/jobs/${jobId}/webhooks/${deliveries[0]!.id}/replay`, {});
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ id: deliveries[0]!.id, status: 'pending' });
    await waitFor(() => receiver.requests.length > before, 10_000, 'the replayed call');
    expect(receiver.requests.at(-1)!.headers['distill-event-id']).toBe(deliveries[0]!.eventId);
    const missing = await postJson(`${url}/v1/jobs/${jobId}/webhooks/nope/replay`, {});
    expect(missing).toMatchObject({ status: 404, body: { code: 'delivery_not_found' } });
  });

  it('refuses a webhook URL on a private address at submission, and never connects to it', async () => {
    const receiver = await startReceiver(() => 200);
    cleanups.push(() => receiver.close());
    const { app, url, close: stopApp } = await startApp({ DISTILL_WEBHOOK_RETRY_BASE_MS: '50' });
    cleanups.push(stopApp);

    for (const hook of [
      receiver.url,
      `http://localhost:${receiver.port}/x`,
      'http://169.254.169.254/latest',
      'http://[::1]:9/x',
      `http://user:pw@example.com/x`,
    ]) {
      const refused = await postJson(`${url}/v1/jobs`, {
        urls: ['https://example.com/a'],
        webhook: { url: hook },
      });
      expect(refused.status, hook).toBe(400);
      expect(refused.body, hook).toMatchObject({
        code: 'invalid_webhook_url',
        type: 'urn:distill:problem:invalid_webhook_url',
      });
    }
    // Streamed submissions carry the URL in the query string: checked the same way.
    const streamed = await fetch(`${url}/v1/jobs?webhookUrl=${encodeURIComponent(receiver.url)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'https://example.com/b\n',
    });
    expect(streamed.status).toBe(400);
    expect(((await streamed.json()) as { code: string }).code).toBe('invalid_webhook_url');

    // A job created past the API (or whose URL's address changed since) is refused at connect time.
    const { job } = await app.jobs.submit({
      urls: ['https://example.com/c'],
      webhook: { url: receiver.url, secret: 's' },
    });
    await waitFor(
      async () => {
        const { body } = await getJson(`${url}/v1/jobs/${job.id}/webhooks`);
        return (body.items as DeliveryView[]).some((d) => d.status === 'failed');
      },
      20_000,
      'the delivery to fail',
    );
    const { body } = await getJson(`${url}/v1/jobs/${job.id}/webhooks`);
    const failed = (body.items as DeliveryView[]).find((d) => d.status === 'failed')!;
    expect(failed).toMatchObject({ attempts: 1, lastError: expect.stringContaining('blocked_address') });
    expect(receiver.connections).toBe(0);
    // Giving up is recorded on the job's event log.
    await waitFor(
      async () =>
        ((await getJson(`${url}/v1/events?jobId=${job.id}&type=webhook.*`)).body.items as unknown[]).length >
        0,
      10_000,
      'webhook.failed in the log',
    );
  });
});
