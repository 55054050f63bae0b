import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApi, createMetrics, createReadiness, type Metrics } from './api/index.js';
import type { EventsApi } from './api/routes/webhooks.js';
import type { Config } from './config.js';
import { CrawlsService, withCrawlLinks } from './crawls/index.js';
import { OutboxRelay, type EventSink } from './events/index.js';
import { RabbitmqSink } from './events/sinks/rabbitmq/index.js';
import { checkWebhookUrl, WebhookDispatcher, WebhookSink } from './events/sinks/webhook/index.js';
import { ExtractorPool } from './extract/index.js';
import { createFetcher, MemoryHostLimiter, parseAllowList, type Fetcher, type HostLimiter } from './fetch/index.js';
import { RedisHostLimiter } from './fetch/redis/index.js';
import { JobsService, type JobOptions, type Queue } from './jobs/index.js';
import { toError, type Logger } from './lib/index.js';
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
    });
    this.repository = new KyselyJobRepository({ db: this.database.db, dialect: this.database.dialect, documentVersions: config.documentVersions });
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
    this.fetcher = createFetcher({
      timeoutMs: config.fetchTimeoutMs,
      connectTimeoutMs: config.fetchConnectTimeoutMs,
      headersTimeoutMs: config.fetchHeadersTimeoutMs,
      maxBodyBytes: config.fetchMaxBytes,
      maxRedirects: config.fetchMaxRedirects,
      userAgent: config.userAgent,
      respectRobots: config.respectRobots,
      allow: parseAllowList(config.fetchAllow),
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
        })
      : new MemoryHostLimiter(limits);
    this.extractor = new ExtractorPool({
      threads: config.extractThreads,
      timeoutMs: config.extractTimeoutMs,
      maxOldGenerationSizeMb: config.extractMaxMemoryMb,
      // Every worker slot may be extracting at once: the pool must hold them all, so that
      // `extractor_busy` only ever means more work than this process admits.
      maxQueue: config.concurrency,
    });
    this.metrics = createMetrics({
      depth: () => this.queue.depth(),
      onError: (error) => this.logger.warn({ err: error }, 'Reading the queue depth for /metrics failed'),
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
      // Outcomes go through the crawls service: a crawl page's links are appended with its outcome.
      repository: {
        finishAttempt: (item, outcome) => this.crawls.finishAttempt(item, outcome),
        cancelledJobIds: (jobIds) => this.repository.cancelledJobIds(jobIds),
      },
      task: this.task,
      concurrency: config.concurrency,
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
    this.jobs = new JobsService({
      repository: this.repository,
      queue: this.queue,
      defaults: this.jobDefaults(),
      onEnqueued: () => this.pool?.notify(),
    });
    this.crawls = new CrawlsService({
      jobs: this.jobs,
      repository: this.repository,
      queue: this.queue,
      maxPages: config.crawlMaxPages,
      onEnqueued: () => this.pool?.notify(),
      logger: this.logger.child({ component: 'crawls' }),
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
    this.relay =
      options.role === 'serve' || options.role === 'worker'
        ? new OutboxRelay({
            store: this.repository,
            sinks: [
              new WebhookSink({ store: this.repository, giveUpMs: webhookGiveUpMs }),
              ...(config.amqpUrl ? [new RabbitmqSink({ url: config.amqpUrl, logger: this.logger.child({ component: 'rabbitmq' }) })] : []),
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
    this.api =
      options.role === 'serve' || options.role === 'api'
        ? buildApi(
            {
              jobs: this.jobs,
              repository: this.repository,
              metrics: this.metrics,
              readiness: createReadiness(
                { database: () => this.repository.countItemsByState(), queue: () => this.queue.depth() },
                { onError: (name, error) => this.logger.warn({ err: error, check: name }, 'Readiness check failed') },
              ),
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
              extractTimeoutMs: config.syncExtractWaitMs,
            },
          )
        : undefined;
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
    this.logger.info(
      { role: this.#role, database: this.database.description, concurrency: this.config.concurrency, url: this.url },
      'distill started',
    );
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

/** The process logger: JSON lines (pino) at the configured level, on stderr. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination(2));
}
