import type { FastifyInstance } from 'fastify';
import { pino, type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import {
  buildApi,
  buildOpsServer,
  createMetrics,
  createReadiness,
  describeStorageFailure,
  ReadinessError,
  storageFailureOf,
  type Metrics,
  type ReadinessProbe,
  type ReadinessProbeSpec,
} from './api/index.js';
import type { EventsApi } from './api/routes/webhooks.js';
import type { Config } from './config.js';
import { CrawlsService, withCrawlLinks } from './crawls/index.js';
import { OutboxRelay, type EventSink } from './events/index.js';
import { RabbitmqSink } from './events/sinks/rabbitmq/index.js';
import { checkWebhookUrl, WebhookDispatcher, WebhookSink } from './events/sinks/webhook/index.js';
import { ExtractorPool } from './extract/index.js';
import { createDnsLookup, createFetcher, MemoryHostLimiter, parseAllowList, type Fetcher, type HostLimiter } from './fetch/index.js';
import { RedisHostLimiter } from './fetch/redis/index.js';
import { ApiKeys } from './auth/index.js';
import { Redis } from 'ioredis';
import { JobsService, type JobOptions, type Queue } from './jobs/index.js';
import { chooseLogFormat, LOG_SERIALIZERS, parseDnsServers, REDACTED, REDACTED_LOG_PATHS, toError, type Logger } from './lib/index.js';
import { BullmqQueue, EmbeddedQueue } from './queue/index.js';
import { BrowserPool } from './render/index.js';
import { Retention } from './retention/index.js';
import { Scheduler, SchedulesService } from './schedules/index.js';
import { KyselyJobRepository, migrateToLatest, openDatabase, type DatabaseHandle } from './storage/index.js';
import { createProcessItem, WorkerPool, type TaskFunction } from './worker/index.js';

/**
 * Which parts a process runs: `serve` is the API and the workers in one process (the embedded
 * default); `api` and `worker` split them for distributed mode; `cli` runs the workers for
 * `distill extract`.
 */
export type AppRole = 'serve' | 'api' | 'worker' | 'cli';

/** `/readyz` counts webhook deliveries waiting for a retry up to this many (a bounded query). */
const RETRYING_WEBHOOKS_REPORTED = 100;

export interface AppOptions {
  role: AppRole;
  logger?: Logger;
  /** Replaces the fetch → extract task (tests of the pool wiring). */
  task?: TaskFunction;
}

/**
 * The composition root: picks the adapters from the configuration, wires them, and owns their
 * lifecycle. Only this file (and cli/) imports adapters. Components start in dependency order and
 * stop in reverse; every stop runs even if an earlier one throws, and the errors are reported
 * together.
 */
export class App {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  /** API keys (issue 8): the API asks for one while a live key exists. */
  readonly apiKeys: ApiKeys;
  /** Rate-limit counts shared by the API processes in distributed mode; owned here. */
  readonly #rateLimitRedis: Redis | undefined;
  readonly repository: KyselyJobRepository;
  readonly queue: Queue;
  readonly jobs: JobsService;
  readonly fetcher: Fetcher;
  readonly hostLimiter: HostLimiter;
  readonly extractor: ExtractorPool;
  readonly pool: WorkerPool | undefined;
  readonly task: TaskFunction;
  readonly metrics: Metrics;
  readonly api: FastifyInstance | undefined;
  /** `/healthz`, `/readyz` and `/metrics` of a `worker` process, on `DISTILL_WORKER_PORT` (0: none). */
  readonly ops: FastifyInstance | undefined;
  /** The browser pool: launched on first render (`serve`, `cli`, `worker --render`), else undefined. */
  readonly renderer: BrowserPool | undefined;
  /** Publishes the outbox (RabbitMQ, webhooks) in `serve` and `worker` processes; one per database leads. */
  readonly relay: OutboxRelay | undefined;
  /** Crawls (issue 9): jobs whose pages add the links they find. */
  readonly crawls: CrawlsService;
  /** Recurring jobs (issue 9). */
  readonly schedules: SchedulesService;
  /** Fires due schedules in `serve` and `worker` processes; one per database leads (lease `scheduler`). */
  readonly scheduler: Scheduler | undefined;
  /** Deletes old jobs and orphaned documents in `serve` and `worker` processes, unless DISTILL_JOB_RETENTION is 0. */
  readonly retention: Retention | undefined;
  readonly #role: AppRole;
  #stopping: Promise<void> | undefined;
  #isStarted = false;

  constructor(config: Config, options: AppOptions) {
    this.config = config;
    this.#role = options.role;
    this.logger = options.logger ?? createLogger(config);
    this.database = openDatabase(config.databaseUrl, {
      poolSize: config.databasePoolSize,
      onPoolError: (error) => this.logger.warn({ err: error }, 'A pooled database connection failed'),
      // pg_stat_activity shows which role each PostgreSQL connection serves.
      applicationName: `distill-${options.role}`,
      checkpointInThread: true,
      onCheckpointError: (error) =>
        this.logger.warn({ err: error }, 'The SQLite checkpoint thread failed; checkpoints run in the commits again'),
    });
    this.repository = new KyselyJobRepository({
      db: this.database.db,
      dialect: this.database.dialect,
      documentVersions: config.documentVersions,
      tenantIsolation: config.tenantIsolation,
    });
    this.apiKeys = new ApiKeys({ store: this.repository });
    // Distributed mode is configuration only: with Redis, BullMQ delivers the items and the per-host
    // limits are shared by every worker; without it, the items table is the queue (on any database).
    this.queue = config.redisUrl
      ? new BullmqQueue({
          connection: config.redisUrl,
          repository: this.repository,
          prefix: config.redisPrefix,
          lockDurationMs: config.leaseMs,
        })
      : new EmbeddedQueue(this.repository);
    // DISTILL_DNS_SERVERS: fetches and renders resolve with the same servers ('' = the system resolver).
    const lookup = createDnsLookup(parseDnsServers(config.dnsServers), { timeoutMs: config.fetchConnectTimeoutMs });
    this.fetcher = createFetcher({
      timeoutMs: config.fetchTimeoutMs,
      connectTimeoutMs: config.fetchConnectTimeoutMs,
      headersTimeoutMs: config.fetchHeadersTimeoutMs,
      maxBodyBytes: config.fetchMaxBytes,
      maxRedirects: config.fetchMaxRedirects,
      userAgent: config.userAgent,
      respectRobots: config.respectRobots,
      allow: parseAllowList(config.fetchAllow),
      lookup,
    });
    const limits = {
      maxInFlightPerHost: config.hostConcurrency,
      ratePerSecond: config.hostRatePerSecond,
      burst: config.hostBurst,
    };
    this.hostLimiter = config.redisUrl
      ? new RedisHostLimiter({
          connection: config.redisUrl,
          prefix: `${config.redisPrefix}:host:`,
          ...limits,
          // A crashed worker's slots come back after this; it must outlast the longest fetch.
          slotLeaseMs: config.fetchTimeoutMs + 10_000,
          onError: (error) => this.logger.warn({ err: error }, 'The Redis connection of the host limiter failed'),
        })
      : new MemoryHostLimiter(limits);
    this.extractor = new ExtractorPool({
      threads: config.extractThreads,
      timeoutMs: config.extractTimeoutMs,
      maxOldGenerationSizeMb: config.extractMaxMemoryMb,
      threadNiceness: config.extractNiceness,
      maxInflatedBytes: config.maxInflatedBytes,
      // Every worker slot may be extracting at once: the pool must hold them all, so that
      // `extractor_busy` only ever means more work than this process admits.
      maxQueue: config.concurrency === 'auto' ? config.concurrencyMax : config.concurrency,
    });
    this.metrics = createMetrics({
      depth: () => this.queue.depth(),
      outbox: () => this.repository.outboxBacklog(),
      onError: (error, metric) => this.logger.warn({ err: error, metric }, 'Reading a metric for /metrics failed'),
    });
    // API and plain workers never host a browser; the embedded roles create the pool, which
    // launches nothing until the first page that needs it.
    const hostsBrowser = options.role === 'serve' || options.role === 'cli' || (options.role === 'worker' && config.render);
    this.renderer = hostsBrowser
      ? new BrowserPool({
          executablePath: config.chromiumPath,
          maxPages: config.renderPages,
          recycleAfterPages: config.renderRecycleAfter,
          maxRssBytes: config.renderMaxRssMb * 1024 * 1024,
          allow: parseAllowList(config.fetchAllow),
          lookup,
          connectTimeoutMs: config.fetchConnectTimeoutMs,
          userAgent: config.userAgent,
          maxHtmlBytes: config.fetchMaxBytes,
          blockedResourceTypes: config.renderBlock === 'none' ? [] : config.renderBlock.split(',').map((t) => t.trim()).filter((t) => t !== ''),
          logger: this.logger.child({ component: 'browser-pool' }),
        })
      : undefined;
    this.task =
      options.task ??
      // Crawl jobs' pages hand their links (and the start page its sitemap's) to storage (issue 9).
      withCrawlLinks(
        createProcessItem({
          fetcher: this.fetcher,
          hostLimiter: this.hostLimiter,
          extractor: this.extractor,
          hostMaxWaitMs: config.hostMaxWaitMs,
          onExtracted: (ms, mimeType) => this.metrics.observeExtraction(ms, mimeType),
          onHostWait: (ms, outcome) => this.metrics.observeHostWait(ms, outcome),
          renderer: this.renderer,
          screenshots: this.repository,
          documents: this.repository,
        }),
        { fetcher: this.fetcher, hostLimiter: this.hostLimiter, logger: this.logger.child({ component: 'crawls' }) },
      );
    const runsWorkers = options.role !== 'api';
    this.pool = !runsWorkers
      ? undefined
      : new WorkerPool({
      queue: this.queue,
      // The jobs service finishes items: a crawl page's links are appended with its outcome.
      repository: {
        finishAttempt: (item, outcome) => this.jobs.finishAttempt(item, outcome),
        cancelledJobIds: (jobIds) => this.repository.cancelledJobIds(jobIds),
      },
      task: this.task,
      concurrency: config.concurrency,
      autoConcurrency: {
        min: config.concurrencyMin,
        max: config.concurrencyMax,
        signals: {
          extractionBacklog: () => this.extractor.stats().queued,
          extractionThreads: () => config.extractThreads,
        },
      },
      onConcurrencyStep: (step) => this.metrics.recordConcurrency(step.level, step.reason),
      leaseMs: config.leaseMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logger: this.logger.child({ component: 'worker-pool' }),
      onOutcome: (_item, outcome, ms) =>
        this.metrics.recordOutcome(
          outcome.kind,
          outcome.kind === 'failed' ? outcome.error.code : outcome.kind === 'retry' ? (outcome.error?.code ?? 'rescheduled') : null,
          ms,
        ),
    });
    if (this.pool && config.concurrency !== 'auto') this.metrics.recordConcurrency(config.concurrency, 'pinned');
    this.jobs = new JobsService({
      repository: this.repository,
      queue: this.queue,
      defaults: this.jobDefaults(),
      onEnqueued: () => this.pool?.notify(),
      maxQueuedPerTenant: config.tenantMaxQueued,
      logger: this.logger.child({ component: 'jobs' }),
    });
    this.crawls = new CrawlsService({
      jobs: this.jobs,
      maxPages: config.crawlMaxPages,
    });
    this.schedules = new SchedulesService({
      repository: this.repository,
      jobs: this.jobs,
      startCrawl: (input) => this.crawls.start(input),
    });
    const runsBackground = options.role === 'serve' || options.role === 'worker';
    this.scheduler = runsBackground
      ? new Scheduler({
          store: this.repository,
          fire: this.schedules.fire,
          pollIntervalMs: config.schedulerPollMs,
          logger: this.logger.child({ component: 'scheduler' }),
        })
      : undefined;
    this.retention =
      runsBackground && config.jobRetentionSeconds > 0
        ? new Retention({
            store: this.repository,
            maxAgeMs: config.jobRetentionSeconds * 1000,
            logger: this.logger.child({ component: 'retention' }),
          })
        : undefined;
    const webhookAllow = parseAllowList(config.fetchAllow);
    const webhookGiveUpMs = config.webhookGiveUpSeconds * 1000;
    const runsRelay = options.role === 'serve' || options.role === 'worker';
    // Owned by the relay (it closes its sinks); borrowed by the readiness probe.
    const rabbitmq =
      runsRelay && config.amqpUrl ? new RabbitmqSink({ url: config.amqpUrl, logger: this.logger.child({ component: 'rabbitmq' }) }) : undefined;
    this.relay =
      runsRelay
        ? new OutboxRelay({
            store: this.repository,
            sinks: [
              new WebhookSink({ store: this.repository, giveUpMs: webhookGiveUpMs }),
              ...(rabbitmq ? [rabbitmq] : []),
            ] satisfies EventSink[],
            leaderTask: new WebhookDispatcher({
              store: this.repository,
              allow: webhookAllow,
              timeoutMs: config.webhookTimeoutMs,
              retryBaseMs: config.webhookRetryBaseMs,
              concurrency: config.webhookConcurrency,
              userAgent: config.userAgent,
              logger: this.logger.child({ component: 'webhooks' }),
            }),
            pollIntervalMs: config.eventPollMs,
            retentionMs: config.eventRetentionSeconds * 1000,
            pruneDeliveries: (before, limit) => this.repository.deleteFinishedWebhookDeliveries(before, limit),
            logger: this.logger.child({ component: 'outbox-relay' }),
          })
        : undefined;
    const eventsApi: EventsApi = {
      listEventLog: (o) => this.repository.listEventLog(o),
      listWebhookDeliveries: (jobId, o) => this.repository.listWebhookDeliveries(jobId, o),
      replayWebhookDelivery: (jobId, id) => this.repository.replayWebhookDelivery(jobId, id, webhookGiveUpMs),
      replayFailedWebhookDeliveries: (jobId) => this.repository.replayFailedWebhookDeliveries(jobId, webhookGiveUpMs),
      checkWebhookUrl: (url) => checkWebhookUrl(url, { allow: webhookAllow }),
    };
    const servesApi = options.role === 'serve' || options.role === 'api';
    // Rate limits are shared through Redis when several API processes may serve one client.
    // No offline queue: while Redis is away a count fails at once and the request passes.
    this.#rateLimitRedis =
      servesApi && config.redisUrl && config.rateLimit > 0
        ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 })
        : undefined;
    this.#rateLimitRedis?.on('error', (error) => this.logger.debug({ err: error }, 'The rate-limit Redis connection failed'));
    const readiness = createReadiness(this.#readinessProbes({ rabbitmq, runsRelay }), {
      onError: (name, error) => this.logger.warn({ err: error, check: name }, 'Readiness check failed'),
    });
    // A worker has no API; with DISTILL_WORKER_PORT it answers probes and scrapes on its own port.
    this.ops =
      options.role === 'worker' && config.workerPort > 0
        ? buildOpsServer({ readiness, metrics: this.metrics, logger: this.logger as never })
        : undefined;
    this.api = servesApi
        ? buildApi(
            {
              jobs: this.jobs,
              keys: this.apiKeys,
              ...(this.#rateLimitRedis ? { rateLimitRedis: this.#rateLimitRedis } : {}),
              repository: this.repository,
              metrics: this.metrics,
              readiness,
              logger: this.logger as never,
              events: eventsApi,
              screenshots: this.repository,
              schedules: this.schedules,
              crawls: {
                start: (input) => this.crawls.start(input),
                settings: (input) => this.crawls.settings(input),
                checkWebhookUrl: (url) => checkWebhookUrl(url, { allow: webhookAllow }),
              },
              documentVersions: this.repository,
            },
            {
              maxUrlsPerRequest: config.maxUrlsPerRequest,
              maxRequestBytes: config.maxRequestBytes,
              headersTimeoutMs: config.headersTimeoutMs,
              requestTimeoutMs: config.requestTimeoutMs,
              keepAliveTimeoutMs: config.keepAliveTimeoutMs,
              idleTimeoutMs: config.idleTimeoutMs,
              maxConnectionsPerIp: config.maxConnectionsPerIp,
              maxEventStreams: config.maxEventStreams,
              maxEventStreamsPerTenant: config.maxEventStreamsPerTenant,
              extractTimeoutMs: config.syncExtractWaitMs,
              rateLimit: config.rateLimit,
              rateLimitWindowMs: config.rateLimitWindowSeconds * 1000,
              redisPrefix: config.redisPrefix,
              tenantIsolation: config.tenantIsolation,
            },
          )
        : undefined;
  }

  /**
   * The checks of `/readyz`: every dependency this process's role needs, and what it only reports.
   *
   * - `database` (required): reachable and writable. A read probe is not enough: a read-only SQLite
   *   file or PostgreSQL standby answers reads and refuses every write, so the probe writes one row
   *   (`checkWritable`); for a SQLite file it also fails when the disk holding it has less than
   *   `minFreeDiskMb` free, since SQLite can go on writing into space its WAL already holds for a
   *   while after the disk is full, and a large submission then fails (`storage_full`).
   * - `queue` (required): BullMQ's Redis answers, or the embedded queue's table is readable.
   * - `hostLimiter` (required, distributed mode): the Redis of the shared per-host limits answers.
   * - `rabbitmq` and `webhooks` (reported, not required; processes that run the outbox relay): their
   *   outage loses no work (events wait in the outbox, failed webhook calls are retried) and blocks
   *   nothing the process is asked to do, so taking the process out of a load balancer would only
   *   stop the work that does go on.
   */
  #readinessProbes(parts: { rabbitmq: RabbitmqSink | undefined; runsRelay: boolean }): Record<string, ReadinessProbe | ReadinessProbeSpec> {
    const holder = `${hostname()}:${process.pid}:${this.#role}`;
    const file = this.database.file;
    const minFreeBytes = this.config.minFreeDiskMb * 1024 * 1024;
    const probes: Record<string, ReadinessProbe | ReadinessProbeSpec> = {
      database: {
        probe: async () => {
          await this.repository.checkWritable(holder);
          if (file === undefined || minFreeBytes === 0) return;
          const disk = await statfs(dirname(file));
          const freeBytes = disk.bavail * disk.bsize;
          if (freeBytes < minFreeBytes) {
            throw new ReadinessError(
              `The disk holding the database has ${Math.floor(freeBytes / 1024)} KiB free, less than DISTILL_MIN_FREE_DISK_MB (${this.config.minFreeDiskMb} MiB)`,
            );
          }
        },
        describe: (error) => {
          const failure = storageFailureOf(error);
          return failure === undefined && error instanceof ReadinessError ? error.message : describeStorageFailure(failure);
        },
      },
      queue: this.queue instanceof BullmqQueue ? () => (this.queue as BullmqQueue).ping() : () => this.queue.depth(),
    };
    if (this.hostLimiter instanceof RedisHostLimiter) {
      const limiter = this.hostLimiter;
      // A read of one (empty) key on the limiter's own connection: Redis answers or it does not.
      probes.hostLimiter = () => limiter.inFlight('readiness.invalid');
    }
    if (parts.rabbitmq) {
      const sink = parts.rabbitmq;
      probes.rabbitmq = { probe: () => sink.check(), isRequired: false, describe: () => 'RabbitMQ is not reachable; events wait in the outbox' };
    }
    if (parts.runsRelay) {
      probes.webhooks = {
        isRequired: false,
        probe: async () => {
          const retrying = await this.repository.countRetryingWebhookDeliveries(RETRYING_WEBHOOKS_REPORTED);
          if (retrying > 0) {
            const count = retrying >= RETRYING_WEBHOOKS_REPORTED ? `${RETRYING_WEBHOOKS_REPORTED} or more` : String(retrying);
            throw new ReadinessError(`${count} webhook deliveries wait for a retry: their receivers did not accept the last call`);
          }
        },
      };
    }
    return probes;
  }

  /** Options of a job whose client set none. */
  jobDefaults(): JobOptions {
    return {
      maxAgeSeconds: this.config.defaultMaxAgeSeconds,
      formats: ['text', 'markdown', 'links'],
      timeoutMs: this.config.fetchTimeoutMs,
      maxAttempts: this.config.maxAttempts,
      render: this.config.renderDefault,
      screenshot: 'none',
    };
  }

  /** Migrates the database and starts the workers. */
  async start(): Promise<void> {
    if (this.#isStarted) return;
    this.#isStarted = true;
    const ran = await migrateToLatest(this.database.db as never);
    if (ran.length > 0) this.logger.info({ migrations: ran }, 'Database migrated');
    // A dedicated render worker launches its browser now, so that a missing Chromium shows at start.
    if (this.#role === 'worker' && this.renderer) await this.renderer.start();
    this.pool?.start();
    this.relay?.start();
    this.scheduler?.start();
    this.retention?.start();
    if (this.api) {
      await this.api.listen({ port: this.config.port, host: this.config.host });
    }
    if (this.ops) {
      await this.ops.listen({ port: this.config.workerPort, host: this.config.host });
    }
    this.logger.info(
      { role: this.#role, database: this.database.description, concurrency: this.config.concurrency, url: this.url },
      'distill started',
    );
    if (this.api) {
      if (await this.apiKeys.isEnabled()) {
        this.logger.info({ tenantIsolation: this.config.tenantIsolation }, 'API auth is on: every /v1/ request needs an API key');
      } else {
        this.logger.warn(
          { url: this.url },
          'API auth is off: no API key exists, so anyone who can reach this address can use the API. `distill keys create --tenant NAME` turns it on',
        );
      }
    }
  }

  /** The API's base URL once listening (`http://127.0.0.1:3000`), else undefined. */
  get url(): string | undefined {
    const address = this.api?.server.address();
    if (!address || typeof address === 'string') return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Graceful stop: workers drain, then pools and connections close. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    // Stop intake first (the API), then drain the workers, then close what they used.
    const steps: Array<[string, () => Promise<void>]> = [
      ['HTTP API', async () => this.api?.close()],
      ['operations server', async () => this.ops?.close()],
      // Before the workers: a run being fired still has the queue and the database.
      ['scheduler', async () => this.scheduler?.stop()],
      ['retention', async () => this.retention?.stop()],
      ['worker pool', async () => this.pool?.stop()],
      ['browser pool', async () => this.renderer?.stop()],
      // After the pool, so the last items' events still go out; before the database it uses.
      ['event relay', async () => this.relay?.stop()],
      ['extractor pool', () => this.extractor.stop()],
      ['fetcher', () => this.fetcher.close()],
      ['host limiter', () => this.hostLimiter.close()],
      ['queue', () => this.queue.close()],
      ['rate-limit Redis connection', async () => void (await this.#rateLimitRedis?.quit().catch(() => this.#rateLimitRedis?.disconnect()))],
      ['database', () => this.database.close()],
    ];
    const errors: Error[] = [];
    for (const [name, stop] of steps) {
      try {
        await stop();
      } catch (error) {
        errors.push(new Error(`Stopping the ${name} failed: ${toError(error).message}`, { cause: error }));
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'distill did not stop cleanly');
    this.logger.info({}, 'distill stopped');
  }
}

/** Options of `createLogger` beyond the configuration (tests give a destination). */
export interface CreateLoggerOptions {
  /** Where lines go. @default stderr, written synchronously so that nothing is lost on exit */
  destination?: DestinationStream;
  /** Whether the destination is a terminal, for `DISTILL_LOG_FORMAT=auto`. @default process.stderr.isTTY */
  isTty?: boolean;
}

/**
 * The process logger (pino) at the configured level on stderr: JSON lines, or human-readable
 * lines (pino-pretty) when `logFormat` says so or, with `auto`, when stderr is a terminal. Both
 * redact credentials (`REDACTED_LOG_PATHS`, `LOG_SERIALIZERS`).
 */
export function createLogger(config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat'>>, options: CreateLoggerOptions = {}): Logger {
  const isTty = options.isTty ?? process.stderr.isTTY === true;
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const format = chooseLogFormat(config.logFormat ?? 'auto', isTty);
  return pino(
    {
      level: config.logLevel,
      base: { pid: process.pid },
      redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
      serializers: LOG_SERIALIZERS,
    },
    format === 'pretty' ? prettyStream(destination, isTty) : destination,
  );
}

/**
 * Pretty lines through pino-pretty's formatter, called in the write itself: its stream form
 * (`pino(pretty())`) passes lines through an asynchronous transform, so the last lines before an
 * exit could be lost; this keeps pretty output as synchronous as the JSON lines.
 */
function prettyStream(destination: DestinationStream, isColored: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize: isColored,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}
