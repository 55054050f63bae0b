import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Job } from '../../jobs/index.js';
import { isAbortError, sleep } from '../../lib/index.js';
import { ApiError } from '../api-error.js';
import type { RouteContext } from '../route-context.js';
import { signalOfResponse } from '../route-context.js';
import { jobIdParamsSchema, problemResponses } from '../schemas.js';
import { isJobFinal, politenessOf, toJobView, toProgressData } from '../views.js';
import { ownedJobOf } from '../auth.js';

/** Events read per query while replaying. */
const EVENT_BATCH = 500;
/** What a client is told to wait before reconnecting, in milliseconds (SSE `retry:`). */
const RECONNECT_MS = 2000;

/** Name of the last event of every stream; its data is the final job. */
export const FINAL_EVENT = 'completed';
/** Name of the count snapshots. */
export const PROGRESS_EVENT = 'progress';

function frame(fields: { id?: number; event: string; data: unknown }): string {
  const id = fields.id !== undefined ? `id: ${fields.id}\n` : '';
  return `${id}event: ${fields.event}\ndata: ${JSON.stringify(fields.data)}\n\n`;
}

/**
 * `GET /v1/jobs/:id/events`: Server-Sent Events.
 *
 * The stream replays the job's rows of the event log after `Last-Event-ID` (header, or
 * `?lastEventId=` for clients that cannot set headers), each with its log id as `id:` and its type
 * as `event:` (`job.created`, `document.extracted`, `item.failed`, `job.cancelled`,
 * `job.completed`), then keeps polling the log, which works whether the workers run in this process
 * or elsewhere. Between them come `progress` events (no `id:`, so they never move the client's
 * Last-Event-ID) whenever the counts change. When the job is final (completed, or cancelled with
 * nothing running), the rest of the log is flushed and the stream ends with one `completed` event,
 * data: the job, whose `status` says `completed` or `cancelled`. Reconnecting with the last id seen
 * replays everything after it; a reconnect to a finished job gets its last events and `completed`.
 *
 * Every stream polls on its own; an in-process hub (events/) could fan one poll out to all streams
 * of a job later without changing the wire format.
 */
export function eventRoutes(context: RouteContext) {
  const { services, options } = context;
  const { repository, metrics } = services;
  let openStreams = 0;
  /**
   * Open streams per tenant, for requests with an API key (while auth is off every client is the
   * one `default` tenant and the global cap alone applies). An entry goes when its count reaches
   * 0, so the map holds at most `maxEventStreams` tenants.
   */
  const openByTenant = new Map<string, number>();
  /** One per open stream: `preClose` aborts them all, so a shutdown does not wait for clients. */
  const shutdowns = new Set<AbortController>();

  async function* stream(job: Job, afterId: number, signal: AbortSignal): AsyncGenerator<string> {
    let lastId = afterId;
    let lastCounts = '';
    let lastWriteAt = Date.now();
    const jobId = job.id;

    async function* drain(): AsyncGenerator<string> {
      for (;;) {
        const events = await repository.listEvents({ jobId, afterId: lastId, limit: EVENT_BATCH });
        for (const event of events) {
          lastId = event.id;
          yield frame({ id: event.id, event: event.type, data: event.payload });
        }
        if (events.length < EVENT_BATCH || signal.aborted) return;
      }
    }

    yield `retry: ${RECONNECT_MS}\n: distill events of job ${jobId}\n\n`;
    let current: Job | null = job;
    while (!signal.aborted) {
      for await (const chunk of drain()) {
        lastWriteAt = Date.now();
        yield chunk;
      }
      current = await repository.getJob(jobId);
      if (current === null) return;
      const politeness = politenessOf(services.hostWaits, current);
      const counts = JSON.stringify([current.status, current.counts, politeness]);
      if (counts !== lastCounts) {
        lastCounts = counts;
        lastWriteAt = Date.now();
        yield frame({ event: PROGRESS_EVENT, data: toProgressData(current, politeness) });
      }
      if (isJobFinal(current)) {
        // The final state change and its events commit together, so this drain sees all of them.
        yield* drain();
        yield frame({ event: FINAL_EVENT, data: toJobView(current) });
        return;
      }
      if (Date.now() - lastWriteAt >= options.heartbeatMs) {
        lastWriteAt = Date.now();
        yield `: heartbeat ${new Date().toISOString()}\n\n`;
      }
      try {
        await sleep(options.eventPollMs, { signal });
      } catch (error) {
        if (isAbortError(error)) return;
        throw error;
      }
    }
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.addHook('preClose', (hookDone) => {
      for (const shutdown of shutdowns) shutdown.abort(new Error('The server is closing'));
      hookDone();
    });

    app.get(
      '/v1/jobs/:id/events',
      {
        schema: {
          summary: "A job's progress as Server-Sent Events",
          description:
            'Replays the event log after Last-Event-ID, then follows it live: `job.created`, `document.extracted`, ' +
            '`item.failed`, `job.cancelled`, `job.completed` (each with an id), `progress` snapshots of the counts (no id), ' +
            'and a last `completed` event with the final job, after which the stream closes. Heartbeat comments every 15 s. ' +
            '503 too_many_streams when the server has too many streams open; 429 tenant_streams_limit when the tenant has.',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              lastEventId: {
                type: 'integer',
                minimum: 0,
                maximum: Number.MAX_SAFE_INTEGER,
                description: 'Same as the Last-Event-ID header',
              },
            },
          },
          headers: {
            type: 'object',
            properties: { 'last-event-id': { type: 'string', pattern: '^\\d{1,15}$' } },
          },
          response: {
            200: { content: { 'text/event-stream': { schema: { type: 'string' } } } },
            ...problemResponses,
          },
        },
      },
      async (
        request: FastifyRequest<{
          Params: { id: string };
          Querystring: { lastEventId?: number };
          Headers: { 'last-event-id'?: string };
        }>,
        reply: FastifyReply,
      ) => {
        const job = ownedJobOf(request);
        if (openStreams >= options.maxEventStreams) {
          throw new ApiError(
            'too_many_streams',
            `This server has ${openStreams} event streams open, its limit; retry later or poll the job`,
            {
              headers: { 'retry-after': '5' },
            },
          );
        }
        const tenant = request.principal !== null ? request.tenant : null;
        const tenantStreams = tenant === null ? 0 : (openByTenant.get(tenant) ?? 0);
        if (tenant !== null && tenantStreams >= options.maxEventStreamsPerTenant) {
          throw new ApiError(
            'tenant_streams_limit',
            `Tenant ${JSON.stringify(tenant)} has ${tenantStreams} event streams open, its limit; close one, retry later or poll the job`,
            { headers: { 'retry-after': '5' } },
          );
        }
        const header = request.headers['last-event-id'];
        const afterId = header !== undefined ? Number(header) : (request.query.lastEventId ?? 0);
        const shutdown = new AbortController();
        const signal = AbortSignal.any([signalOfResponse(request, reply), shutdown.signal]);
        const body = Readable.from(stream(job, afterId, signal), { objectMode: false });
        openStreams++;
        if (tenant !== null) openByTenant.set(tenant, tenantStreams + 1);
        shutdowns.add(shutdown);
        metrics.eventStreams.inc();
        // 'close' comes once the stream ended or was destroyed (client gone), started or not.
        body.once('close', () => {
          openStreams--;
          if (tenant !== null) {
            const left = (openByTenant.get(tenant) ?? 1) - 1;
            if (left <= 0) openByTenant.delete(tenant);
            else openByTenant.set(tenant, left);
          }
          shutdowns.delete(shutdown);
          metrics.eventStreams.dec();
        });
        return reply
          .headers({
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache, no-transform',
            'x-accel-buffering': 'no',
            // The stream holds its connection for the job's lifetime; reusing it afterwards saves
            // little, and a closing server must not wait for it to go idle.
            connection: 'close',
          })
          .send(body);
      },
    );
    done();
  };
}
