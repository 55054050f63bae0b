import type { Config } from '../config/index.js';
import { CrawlsService } from '../crawls/index.js';
import { JobsService, type JobOptions, type Queue } from '../jobs/index.js';
import type { Logger } from '../lib/index.js';
import { SchedulesService } from '../schedules/index.js';
import type { KyselyJobRepository } from '../storage/index.js';

/** The domain services every role has: the API calls them, and the workers finish items through them. */
export interface Services {
  jobs: JobsService;
  /** Crawls (issue 9): jobs whose pages add the links they find. */
  crawls: CrawlsService;
  /** Recurring jobs (issue 9). */
  schedules: SchedulesService;
}

/** What the services are built on. */
export interface ServicesDependencies {
  repository: KyselyJobRepository;
  queue: Queue;
  logger: Logger;
  /** Told when items were enqueued, to wake this process's worker pool (if it has one). */
  onEnqueued: () => void;
}

/** The jobs, crawls and schedules services on the given storage and queue. */
export function buildServices(config: Config, deps: ServicesDependencies): Services {
  const { repository, queue, onEnqueued } = deps;
  const jobs = new JobsService({
    repository,
    queue,
    defaults: jobDefaults(config),
    onEnqueued,
    maxQueuedPerTenant: config.tenantMaxQueued,
    logger: deps.logger.child({ component: 'jobs' }),
  });
  const crawls = new CrawlsService({ jobs, maxPages: config.crawlMaxPages });
  const schedules = new SchedulesService({ repository, jobs, startCrawl: (input) => crawls.start(input) });
  return { jobs, crawls, schedules };
}

/** Options of a job whose client set none. */
export function jobDefaults(config: Config): JobOptions {
  return {
    maxAgeSeconds: config.defaultMaxAgeSeconds,
    formats: ['text', 'markdown', 'links'],
    timeoutMs: config.fetchTimeoutMs,
    maxAttempts: config.maxAttempts,
    render: config.renderDefault,
    screenshot: 'none',
    ...(config.proxyPoolDefault !== '' ? { proxyPool: config.proxyPoolDefault } : {}),
  };
}
