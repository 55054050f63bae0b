import type { Metrics } from '../api/index.js';
import type { Config } from '../config/index.js';
import { withCrawlLinks } from '../crawls/index.js';
import { ExtractorPool } from '../extract/index.js';
import type { JobsService, Queue } from '../jobs/index.js';
import type { Logger, SecretBox } from '../lib/index.js';
import type { BrowserPool } from '../render/index.js';
import type { KyselyJobRepository } from '../storage/index.js';
import { parseAllowList, type DomainRuleResolver } from '../fetch/index.js';
import { createGuardedFetch, OpenAiCompatibleLlm } from '../llm/index.js';
import {
  BodyHandOff,
  createProcessItem,
  HAND_OFF_MIN_CHARGE_BYTES,
  withLlmStage,
  WorkerPool,
  type LlmStageOptions,
  type TaskFunction,
} from '../worker/index.js';
import type { Component } from './lifecycle.js';
import type { Fetching } from './build-fetch.js';
import type { Part } from './roles.js';

/** The pool of extraction threads (every role builds it; only workers give it work). */
export function buildExtractor(config: Config): { extractor: ExtractorPool; component: Component } {
  const extractor = new ExtractorPool({
    threads: config.extractThreads,
    timeoutMs: config.extractTimeoutMs,
    maxOldGenerationSizeMb: config.extractMaxMemoryMb,
    threadNiceness: config.extractNiceness,
    maxInflatedBytes: config.maxInflatedBytes,
    // `node --cpu-prof distill serve` profiles the extraction threads too (bench/cpu-stages.mjs).
    execArgv: process.execArgv.filter((arg) => arg.startsWith('--cpu-prof')),
    limits: {
      maxSheetRows: config.maxSheetRows,
      maxSheetColumns: config.maxSheetColumns,
      includeSlideNotes: config.slideNotes,
      ocrLanguages: config.ocrLanguages
        .split(/[+,]/)
        .map((language) => language.trim())
        .filter((language) => language !== ''),
      ocrPageTimeoutMs: config.ocrPageTimeoutMs,
      ocrMaxPages: config.ocrMaxPages,
      maxImagePixels: config.ocrMaxImagePixels,
    },
    // Every worker slot may be extracting at once, and every body of the hand-off waiting: the pool
    // must hold them all, so that `extractor_busy` only ever means more work than this process admits.
    maxQueue:
      (config.concurrency === 'auto' ? config.concurrencyMax : config.concurrency) +
      Math.ceil(config.handOffMaxBytes / HAND_OFF_MIN_CHARGE_BYTES),
  });
  return { extractor, component: { name: 'extractor pool', stop: () => extractor.stop() } };
}

/** What the fetch → extract → store task and the worker pool are built on. */
export interface WorkersDependencies {
  fetching: Fetching;
  extractor: ExtractorPool;
  renderer: BrowserPool | undefined;
  repository: KyselyJobRepository;
  /** Opens jobs' headers and cookies; undefined without DISTILL_SECRET_KEY. */
  secretBox?: SecretBox | undefined;
  queue: Queue;
  jobs: JobsService;
  metrics: Metrics;
  logger: Logger;
  /** The domain rules the task applies (issue 20). */
  domainRules?: DomainRuleResolver | undefined;
  /** Replaces the fetch → extract task (tests of the pool wiring). */
  task?: TaskFunction | undefined;
}

/** The task, and the pool that runs it in roles with `workers`. */
export interface Workers {
  task: TaskFunction;
  /** The model step's settings (issue 18), which uploads run too (`POST /v1/files`). */
  llmStage: LlmStageOptions;
  pool: WorkerPool | undefined;
  component: Component | undefined;
}

/** The fetch → extract → store task, and for roles that run `workers` the pool of slots running it. */
export function buildWorkers(config: Config, parts: ReadonlySet<Part>, deps: WorkersDependencies): Workers {
  const { fetcher, hostLimiter } = deps.fetching;
  const { repository, metrics, logger } = deps;
  const task =
    deps.task ??
    // Crawl jobs' pages hand their links (and the start page its sitemap's) to storage (issue 9).
    withCrawlLinks(
      createProcessItem({
        fetcher,
        hostLimiter,
        extractor: deps.extractor,
        hostMaxWaitMs: config.hostMaxWaitMs,
        hostWaits: deps.fetching.hostWaits,
        onExtracted: (ms, mimeType) => metrics.observeExtraction(ms, mimeType),
        onHostWait: (ms, outcome) => metrics.observeHostWait(ms, outcome),
        renderer: deps.renderer,
        screenshots: repository,
        documents: repository,
        secretBox: deps.secretBox,
        proxyPools: deps.fetching.proxyPools,
        domainRules: deps.domainRules,
      }),
      { fetcher, hostLimiter, logger: logger.child({ component: 'crawls' }) },
    );
  // Items of jobs that ask for json or summary talk to the model after extraction (issue 18); so
  // do uploads, in the API's processes.
  const llm = buildLlm(config);
  const llmStage: LlmStageOptions = {
    llm: llm?.llm,
    contextTokens: config.llmContextTokens,
    usedTokens: async (jobId) => {
      const usage = await repository.llmUsage(jobId);
      return usage.tokensIn + usage.tokensOut;
    },
    onUsage: (usage) => metrics.recordLlmUsage(usage),
  };
  if (!parts.has('workers')) {
    const component = llm ? { name: 'model endpoint', stop: () => llm.close() } : undefined;
    return { task, llmStage, pool: undefined, component };
  }
  const taskWithLlm = withLlmStage(task, llmStage);
  // Fetching decoupled from extraction (issue 16): bodies wait in a byte budget, not in a fetch slot.
  const handOff =
    config.handOffMaxBytes > 0
      ? new BodyHandOff({ maxBytes: config.handOffMaxBytes, minChargeBytes: HAND_OFF_MIN_CHARGE_BYTES })
      : undefined;
  if (handOff) metrics.watchHandOff(() => handOff.stats());
  const pool = new WorkerPool({
    queue: deps.queue,
    handOff,
    // The jobs service finishes items: a crawl page's links are appended with its outcome.
    repository: {
      finishAttempt: (item, outcome) => deps.jobs.finishAttempt(item, outcome),
      cancelledJobIds: (jobIds) => repository.cancelledJobIds(jobIds),
    },
    task: taskWithLlm,
    concurrency: config.concurrency,
    autoConcurrency: {
      min: config.concurrencyMin,
      max: config.concurrencyMax,
      signals: {
        extractionBacklog: () => deps.extractor.stats().queued,
        extractionThreads: () => config.extractThreads,
      },
    },
    onConcurrencyStep: (step) => metrics.recordConcurrency(step.level, step.reason),
    leaseMs: config.leaseMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger: logger.child({ component: 'worker-pool' }),
    onOutcome: (_item, outcome, ms) =>
      metrics.recordOutcome(
        outcome.kind,
        outcome.kind === 'failed'
          ? outcome.error.code
          : outcome.kind === 'retry'
            ? (outcome.error?.code ?? 'rescheduled')
            : null,
        ms,
      ),
  });
  if (config.concurrency !== 'auto') metrics.recordConcurrency(config.concurrency, 'pinned');
  return {
    task,
    llmStage,
    pool,
    component: {
      name: 'worker pool',
      start: () => pool.start(),
      // The model's connections close after the pool: no item talks to it any more.
      stop: async () => {
        try {
          await pool.stop();
        } finally {
          await llm?.close();
        }
      },
    },
  };
}

/** The model endpoint of the json and summary formats (DISTILL_LLM_URL), through the egress guard. */
function buildLlm(config: Config): { llm: OpenAiCompatibleLlm; close: () => Promise<void> } | undefined {
  if (config.llmUrl === '') return undefined;
  const guarded = createGuardedFetch({
    allow: parseAllowList(config.fetchAllow),
    connectTimeoutMs: Math.min(config.llmTimeoutMs, 10_000),
  });
  const llm = new OpenAiCompatibleLlm({
    baseUrl: config.llmUrl,
    apiKey: config.llmApiKey === '' ? undefined : config.llmApiKey,
    model: config.llmModel,
    timeoutMs: config.llmTimeoutMs,
    maxRetries: config.llmMaxRetries,
    fetch: guarded.fetch,
  });
  return { llm, close: guarded.close };
}
