import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../api/index.js';
import type { ApiKeys } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { CrawlsService } from '../crawls/index.js';
import type { OutboxRelay } from '../events/index.js';
import type { ExtractorPool } from '../extract/index.js';
import type { Fetcher, HostLimiter } from '../fetch/index.js';
import type { JobOptions, JobsService, Queue } from '../jobs/index.js';
import type { Logger } from '../lib/index.js';
import type { BrowserPool } from '../render/index.js';
import type { Retention } from '../retention/index.js';
import type { Scheduler, SchedulesService } from '../schedules/index.js';
import type { DatabaseHandle, KyselyJobRepository } from '../storage/index.js';
import { createUploadFile, type TaskFunction, type UploadFile, type WorkerPool } from '../worker/index.js';
import { buildMetrics, buildServers } from './build-api.js';
import { buildBackground } from './build-background.js';
import { buildEvents } from './build-events.js';
import { buildDomainRules } from './build-domains.js';
import { buildFetch } from './build-fetch.js';
import { buildRender } from './build-render.js';
import { buildServices, jobDefaults } from './build-services.js';
import { buildQueue, buildStorage } from './build-storage.js';
import { buildExtractor, buildWorkers } from './build-workers.js';
import { Lifecycle, readinessOf, type Component } from './lifecycle.js';
import { createLogger } from './logger.js';
import { partsOf, processRoleOf, type AppRole, type ProcessRole } from './roles.js';

export interface AppOptions {
  role: AppRole;
  logger?: Logger;
  /** Replaces the fetch → extract task (tests of the pool wiring). */
  task?: TaskFunction;
}

/**
 * The composition root: picks the adapters from the configuration, wires them, and owns their
 * lifecycle. Only app/ (and cli/) imports adapters. Which parts run is the role's row of
 * `ROLE_PARTS`; each area has its builder (build-*.ts), which describes what it made as
 * components. Components start in dependency order and stop in reverse; every stop runs even if
 * an earlier one throws, and the errors are reported together.
 */
export class App {
  readonly config: Config;
  readonly logger: Logger;
  readonly role: ProcessRole;
  readonly database: DatabaseHandle;
  /** API keys (issue 8): the API asks for one while a live key exists. */
  readonly apiKeys: ApiKeys;
  readonly repository: KyselyJobRepository;
  readonly queue: Queue;
  readonly jobs: JobsService;
  readonly fetcher: Fetcher;
  readonly hostLimiter: HostLimiter;
  readonly extractor: ExtractorPool;
  /** Extracts a file that is not at a URL and stores it as a one-item job (`POST /v1/files`, `distill extract ./file`). */
  readonly uploadFile: UploadFile;
  readonly pool: WorkerPool | undefined;
  readonly task: TaskFunction;
  readonly metrics: Metrics;
  readonly api: FastifyInstance | undefined;
  /** `/healthz`, `/readyz` and `/metrics` of a `worker` process, on `DISTILL_WORKER_PORT` (0: none). */
  readonly ops: FastifyInstance | undefined;
  /** The browser pool: launched on first render (`serve`, `cli`), at start (`worker --render`); else undefined. */
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
  readonly #lifecycle = new Lifecycle();
  #stopping: Promise<void> | undefined;

  constructor(config: Config, options: AppOptions) {
    this.config = config;
    this.role = processRoleOf(options.role, config);
    const parts = partsOf(this.role);
    const logger = (this.logger = options.logger ?? createLogger(config));

    const storage = buildStorage(config, this.role, logger);
    ({ database: this.database, repository: this.repository, apiKeys: this.apiKeys } = storage);
    const repository = this.repository;
    const queue = buildQueue(config, repository);
    this.queue = queue.queue;
    const fetching = buildFetch(config, logger);
    ({ fetcher: this.fetcher, hostLimiter: this.hostLimiter } = fetching);
    const domainRules = buildDomainRules(config, {
      repository,
      secretBox: storage.secretBox,
      poolNames: fetching.proxyPools.names,
    });
    const extractor = buildExtractor(config);
    this.extractor = extractor.extractor;
    this.metrics = buildMetrics({ queue: this.queue, repository, logger });
    // The services wake this process's pool (built below, on the crawls service) when they enqueue.
    const services = buildServices(config, {
      repository,
      queue: this.queue,
      logger,
      onEnqueued: () => this.pool?.notify(),
    });
    ({ jobs: this.jobs, crawls: this.crawls, schedules: this.schedules } = services);
    const render = buildRender(config, parts, logger);
    this.renderer = render?.renderer;
    const workers = buildWorkers(config, parts, {
      fetching,
      extractor: this.extractor,
      renderer: this.renderer,
      repository,
      queue: this.queue,
      jobs: this.jobs,
      metrics: this.metrics,
      logger,
      task: options.task,
      secretBox: storage.secretBox,
      domainRules: domainRules.resolver,
    });
    ({ task: this.task, pool: this.pool } = workers);
    this.uploadFile = createUploadFile({
      extractor: this.extractor,
      jobs: this.jobs,
      llmStage: workers.llmStage,
      // Extraction, then the model's calls with their retries: the lease outlives them all.
      leaseMs:
        config.extractTimeoutMs +
        (config.llmUrl === '' ? 0 : 2 * config.llmTimeoutMs * (config.llmMaxRetries + 1)) +
        60_000,
      logger: logger.child({ component: 'uploads' }),
    });
    const events = buildEvents(config, parts, { repository, logger });
    this.relay = events.relay;
    const background = buildBackground(config, parts, { repository, schedules: this.schedules, logger });
    ({ scheduler: this.scheduler, retention: this.retention } = background);

    // Start order; stop is the reverse: intake (the API) first, then the scheduler (a run being
    // fired still has the queue and the database), the workers, the browser, the relay (after the
    // pool, so the last items' events still go out), then what they all used.
    const components: Array<Component | undefined> = [
      storage.component,
      undefined, // the rate-limit Redis connection, known once the servers are built (below)
      queue.component,
      fetching.hostLimiterComponent,
      fetching.fetcherComponent,
      extractor.component,
      events.component,
      render?.component,
      workers.component,
      background.retentionComponent,
      background.schedulerComponent,
    ];
    // Every check of /readyz is asked of the component that answers it.
    const readiness = readinessOf(components);
    const servers = buildServers(config, parts, {
      secretBox: storage.secretBox,
      repository,
      apiKeys: this.apiKeys,
      services,
      events,
      metrics: this.metrics,
      logger,
      readiness,
      fetching,
      uploadFile: this.uploadFile,
      domains: domainRules.api,
    });
    ({ api: this.api, ops: this.ops } = servers);
    components[1] = servers.rateLimitRedis;
    for (const component of [...components, ...servers.components]) this.#lifecycle.add(component);
  }

  /** Options of a job whose client set none. */
  jobDefaults(): JobOptions {
    return jobDefaults(this.config);
  }

  /** Migrates the database and starts every component of the role, in order. */
  async start(): Promise<void> {
    await this.#lifecycle.start();
    this.logger.info(
      {
        role: this.role === 'render-worker' ? 'worker' : this.role,
        database: this.database.description,
        concurrency: this.config.concurrency,
        url: this.url,
      },
      'distill started',
    );
    if (this.api) {
      if (await this.apiKeys.isEnabled()) {
        this.logger.info(
          { tenantIsolation: this.config.tenantIsolation },
          'API auth is on: every /v1/ request needs an API key',
        );
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

  /** Graceful stop: intake stops, workers drain, then pools and connections close. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    await this.#lifecycle.stop();
    this.logger.info({}, 'distill stopped');
  }
}

/** Builds the app of `options.role` on `config`; nothing runs until `start()`. */
export function createApp(config: Config, options: AppOptions): App {
  return new App(config, options);
}
