import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApi, createMetrics, createReadiness, type Metrics } from './api/index.js';
import type { Config } from './config.js';
import { ExtractorPool } from './extract/index.js';
import { createFetcher, MemoryHostLimiter, parseAllowList, type Fetcher, type HostLimiter } from './fetch/index.js';
import { JobsService, type JobOptions, type Queue } from './jobs/index.js';
import { toError, type Logger } from './lib/index.js';
import { RedisHostLimiter } from './fetch/redis/index.js';
import { BullmqQueue, EmbeddedQueue } from './queue/index.js';
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
    this.repository = new KyselyJobRepository({ db: this.database.db, dialect: this.database.dialect });
    // Distributed mode is configuration only: with Redis, BullMQ delivers the items and the per-host
    // limits are shared by every worker; without it, the items table is the queue (on any database).
    this.queue = config.redisUrl
      ? new BullmqQueue({ connection: config.redisUrl, repository: this.repository, lockDurationMs: config.leaseMs })
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
          ...limits,
          // A crashed worker's slot comes back after this; it must outlast the longest fetch.
          slotLeaseMs: config.fetchTimeoutMs + 30_000,
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
    this.task =
      options.task ??
      createProcessItem({
        fetcher: this.fetcher,
        hostLimiter: this.hostLimiter,
        extractor: this.extractor,
        hostMaxWaitMs: config.hostMaxWaitMs,
        onExtracted: (ms, mimeType) => this.metrics.observeExtraction(ms, mimeType),
      });
    const runsWorkers = options.role !== 'api';
    this.pool = !runsWorkers
      ? undefined
      : new WorkerPool({
      queue: this.queue,
      repository: this.repository,
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
    };
  }

  /** Migrates the database and starts the workers. */
  async start(): Promise<void> {
    if (this.#isStarted) return;
    this.#isStarted = true;
    const ran = await migrateToLatest(this.database.db as never);
    if (ran.length > 0) this.logger.info({ migrations: ran }, 'Database migrated');
    this.pool?.start();
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
      ['worker pool', async () => this.pool?.stop()],
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
