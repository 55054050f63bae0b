import type { Kysely } from 'kysely';
import type { ApiKeyStore } from '../auth/index.js';
import type {
  AttemptStore,
  DocumentStore,
  EventStore,
  ItemStore,
  JobRepository,
  JobStore,
  LeaseStore,
  QueueStore,
  ScheduleStore,
  ScreenshotStore,
  SearchStore,
  WebhookDeliveryStore,
} from '../jobs/index.js';
import { systemClock, type Clock } from '../lib/index.js';
import type { DialectName } from './database.js';
import { createDialect } from './dialect.js';
import type { Database } from './schema.js';
import { createDocumentKey, inTransaction, type StoreContext } from './stores/store-context.js';
import { KyselyApiKeyStore } from './stores/api-key-store.js';
import { KyselyAttemptStore } from './stores/attempt-store.js';
import { KyselyDocumentStore } from './stores/document-store.js';
import { KyselyEventStore } from './stores/event-store.js';
import { KyselyItemStore } from './stores/item-store.js';
import { KyselyJobStore } from './stores/job-store.js';
import { KyselyLeaseStore } from './stores/lease-store.js';
import { KyselyQueueStore } from './stores/queue-store.js';
import { KyselyScheduleStore } from './stores/schedule-store.js';
import { KyselyScreenshotStore } from './stores/screenshot-store.js';
import { KyselySearchStore } from './stores/search-store.js';
import { KyselySettingsStore } from './stores/settings-store.js';
import { KyselyDomainRuleStore } from './stores/domain-rule-store.js';
import { KyselyWebhookDeliveryStore } from './stores/webhook-store.js';

/** Every store, over one connection pool or one transaction. */
export interface KyselyStores {
  readonly jobs: KyselyJobStore;
  readonly items: KyselyItemStore;
  readonly attempts: KyselyAttemptStore;
  readonly documents: KyselyDocumentStore;
  readonly screenshots: KyselyScreenshotStore;
  readonly queue: KyselyQueueStore;
  readonly events: KyselyEventStore;
  readonly webhooks: KyselyWebhookDeliveryStore;
  readonly schedules: KyselyScheduleStore;
  readonly apiKeys: KyselyApiKeyStore;
  readonly leases: KyselyLeaseStore;
  readonly search: KyselySearchStore;
  readonly settings: KyselySettingsStore;
  readonly domainRules: KyselyDomainRuleStore;
}

/** The attempt store's group commit: batched finishes (see group-commit.ts), or off. */
export type GroupCommitSetting = false | { maxBatch?: number; windowMs?: number };

/**
 * Builds every store over `context` (the pool's, or a transaction's: there the attempt store
 * writes in the caller's transaction, so it never batches).
 */
function createStores(
  context: StoreContext,
  documentVersions: number,
  groupCommit: GroupCommitSetting = false,
): KyselyStores {
  const versions = { documentVersions };
  return {
    jobs: new KyselyJobStore(context),
    items: new KyselyItemStore(context),
    attempts: new KyselyAttemptStore(context, { ...versions, groupCommit }),
    documents: new KyselyDocumentStore(context, versions),
    screenshots: new KyselyScreenshotStore(context),
    queue: new KyselyQueueStore(context),
    events: new KyselyEventStore(context),
    webhooks: new KyselyWebhookDeliveryStore(context),
    schedules: new KyselyScheduleStore(context),
    apiKeys: new KyselyApiKeyStore(context),
    settings: new KyselySettingsStore(context),
    domainRules: new KyselyDomainRuleStore(context),
    leases: new KyselyLeaseStore(context),
    search: new KyselySearchStore(context),
  };
}

/**
 * The storage of distill over Kysely, one store per aggregate (stores/), on SQLite, PostgreSQL or
 * MySQL (what differs is in dialect.ts). This facade builds the stores, runs transactions across
 * them (`transaction`), and keeps the methods of the one repository class it replaced, each
 * delegating to its store, so that callers written against it keep working; new code should take
 * the port it needs (jobs/ports.ts) or a store.
 *
 * Concurrency. SQLite serialises writers (`BEGIN IMMEDIATE`). On PostgreSQL and MySQL many
 * processes run the stores' transactions at once, at READ COMMITTED, and every transaction that
 * changes items takes row locks in one order: the jobs' rows in id order, then their items' rows
 * (see stores/job-counters.ts). The one place that would take a second job's row out of order
 * (completing waiting duplicates in other jobs after a success) only tries it with SKIP LOCKED.
 * Deadlocks therefore should not happen; the dialect's transaction retries them anyway.
 */
export class KyselyJobRepository
  implements
    JobRepository,
    JobStore,
    ItemStore,
    AttemptStore,
    DocumentStore,
    ScreenshotStore,
    QueueStore,
    EventStore,
    WebhookDeliveryStore,
    ScheduleStore,
    ApiKeyStore,
    LeaseStore,
    SearchStore
{
  readonly #context: StoreContext;
  readonly #documentVersions: number;
  readonly jobs: KyselyJobStore;
  readonly items: KyselyItemStore;
  readonly attempts: KyselyAttemptStore;
  readonly documents: KyselyDocumentStore;
  readonly screenshots: KyselyScreenshotStore;
  readonly queue: KyselyQueueStore;
  readonly events: KyselyEventStore;
  readonly webhooks: KyselyWebhookDeliveryStore;
  readonly schedules: KyselyScheduleStore;
  readonly apiKeys: KyselyApiKeyStore;
  readonly leases: KyselyLeaseStore;
  readonly search: KyselySearchStore;
  /** Deployment-wide values (the secret key's check). */
  readonly settings: KyselySettingsStore;
  /** Per-tenant domain rules (issue 20, migration 0013). */
  readonly domainRules: KyselyDomainRuleStore;

  // The methods of the repository this facade replaced, each its store's.
  readonly createJob: KyselyJobStore['createJob'];
  readonly endIntake: KyselyJobStore['endIntake'];
  readonly getJob: KyselyJobStore['getJob'];
  readonly countWaitingUrls: KyselyJobStore['countWaitingUrls'];
  readonly listJobs: KyselyJobStore['listJobs'];
  readonly cancelJob: KyselyJobStore['cancelJob'];
  readonly retryFailedItems: KyselyJobStore['retryFailedItems'];
  readonly deleteJob: KyselyJobStore['deleteJob'];
  readonly cancelledJobIds: KyselyJobStore['cancelledJobIds'];
  readonly countItemsByState: KyselyJobStore['countItemsByState'];
  readonly deleteExpiredJobs: KyselyJobStore['deleteExpiredJobs'];
  readonly addItems: KyselyItemStore['addItems'];
  readonly listItems: KyselyItemStore['listItems'];
  readonly listResults: KyselyItemStore['listResults'];
  readonly isDocumentVisible: KyselyItemStore['isDocumentVisible'];
  readonly llmUsage: KyselyItemStore['llmUsage'];
  readonly finishAttempt: KyselyAttemptStore['finishAttempt'];
  readonly recordAttempt: KyselyAttemptStore['recordAttempt'];
  readonly findFreshDocuments: KyselyDocumentStore['findFreshDocuments'];
  readonly getDocument: KyselyDocumentStore['getDocument'];
  readonly getDocumentByUrl: KyselyDocumentStore['getDocumentByUrl'];
  readonly putDocument: KyselyDocumentStore['putDocument'];
  readonly getDocumentValidators: KyselyDocumentStore['getDocumentValidators'];
  readonly listDocumentVersions: KyselyDocumentStore['listDocumentVersions'];
  readonly deleteOrphanDocuments: KyselyDocumentStore['deleteOrphanDocuments'];
  readonly saveScreenshot: KyselyScreenshotStore['saveScreenshot'];
  readonly getScreenshot: KyselyScreenshotStore['getScreenshot'];
  readonly claimBatch: KyselyQueueStore['claimBatch'];
  readonly claimDeliveries: KyselyQueueStore['claimDeliveries'];
  readonly renewLeases: KyselyQueueStore['renewLeases'];
  readonly reclaimExpired: KyselyQueueStore['reclaimExpired'];
  readonly listQueuedItems: KyselyQueueStore['listQueuedItems'];
  readonly appendEvents: KyselyEventStore['appendEvents'];
  readonly listEvents: KyselyEventStore['listEvents'];
  readonly listUnpublishedEvents: KyselyEventStore['listUnpublishedEvents'];
  readonly outboxBacklog: KyselyEventStore['outboxBacklog'];
  readonly markEventsPublished: KyselyEventStore['markEventsPublished'];
  readonly deleteExpiredEvents: KyselyEventStore['deleteExpiredEvents'];
  readonly listEventLog: KyselyEventStore['listEventLog'];
  readonly enqueueWebhookDeliveries: KyselyWebhookDeliveryStore['enqueueWebhookDeliveries'];
  readonly listDueWebhookDeliveries: KyselyWebhookDeliveryStore['listDueWebhookDeliveries'];
  readonly recordWebhookAttempt: KyselyWebhookDeliveryStore['recordWebhookAttempt'];
  readonly listWebhookDeliveries: KyselyWebhookDeliveryStore['listWebhookDeliveries'];
  readonly replayWebhookDelivery: KyselyWebhookDeliveryStore['replayWebhookDelivery'];
  readonly replayFailedWebhookDeliveries: KyselyWebhookDeliveryStore['replayFailedWebhookDeliveries'];
  readonly deleteFinishedWebhookDeliveries: KyselyWebhookDeliveryStore['deleteFinishedWebhookDeliveries'];
  readonly countRetryingWebhookDeliveries: KyselyWebhookDeliveryStore['countRetryingWebhookDeliveries'];
  readonly createSchedule: KyselyScheduleStore['createSchedule'];
  readonly getSchedule: KyselyScheduleStore['getSchedule'];
  readonly listSchedules: KyselyScheduleStore['listSchedules'];
  readonly setScheduleStatus: KyselyScheduleStore['setScheduleStatus'];
  readonly deleteSchedule: KyselyScheduleStore['deleteSchedule'];
  readonly listDueSchedules: KyselyScheduleStore['listDueSchedules'];
  readonly recordScheduleRun: KyselyScheduleStore['recordScheduleRun'];
  readonly insertApiKey: KyselyApiKeyStore['insertApiKey'];
  readonly listApiKeys: KyselyApiKeyStore['listApiKeys'];
  readonly revokeApiKey: KyselyApiKeyStore['revokeApiKey'];
  readonly findLiveApiKey: KyselyApiKeyStore['findLiveApiKey'];
  readonly countApiKeys: KyselyApiKeyStore['countApiKeys'];
  readonly touchApiKey: KyselyApiKeyStore['touchApiKey'];
  readonly acquireLease: KyselyLeaseStore['acquireLease'];
  readonly releaseLease: KyselyLeaseStore['releaseLease'];
  readonly checkWritable: KyselyLeaseStore['checkWritable'];
  readonly searchDocuments: KyselySearchStore['searchDocuments'];

  /**
   * `documentVersions`: earlier contents kept per document when its text changes (issue 9).
   * @default 5
   * `tenantIsolation`: each tenant but `default` has its own documents (see `documentKey`).
   * @default false
   * `groupCommit`: attempts that end within a few ms share one transaction, at most `maxBatch`
   * (64) of them; `false` gives each its own.
   * @default {}
   */
  constructor(options: {
    db: Kysely<Database>;
    dialect: DialectName;
    clock?: Clock;
    documentVersions?: number;
    tenantIsolation?: boolean;
    groupCommit?: GroupCommitSetting;
  }) {
    this.#documentVersions = options.documentVersions ?? 5;
    if (!Number.isSafeInteger(this.#documentVersions) || this.#documentVersions < 0) {
      throw new TypeError(
        `Expected \`documentVersions\` to be a non-negative integer, got \`${this.#documentVersions}\``,
      );
    }
    this.#context = {
      db: options.db,
      dialect: createDialect(options.dialect),
      clock: options.clock ?? systemClock,
      documentKey: createDocumentKey(options.tenantIsolation ?? false),
    };
    const stores = createStores(this.#context, this.#documentVersions, options.groupCommit ?? {});
    this.jobs = stores.jobs;
    this.items = stores.items;
    this.attempts = stores.attempts;
    this.documents = stores.documents;
    this.screenshots = stores.screenshots;
    this.queue = stores.queue;
    this.events = stores.events;
    this.webhooks = stores.webhooks;
    this.schedules = stores.schedules;
    this.apiKeys = stores.apiKeys;
    this.leases = stores.leases;
    this.search = stores.search;
    this.settings = stores.settings;
    this.domainRules = stores.domainRules;
    this.createJob = this.jobs.createJob.bind(this.jobs);
    this.endIntake = this.jobs.endIntake.bind(this.jobs);
    this.getJob = this.jobs.getJob.bind(this.jobs);
    this.countWaitingUrls = this.jobs.countWaitingUrls.bind(this.jobs);
    this.listJobs = this.jobs.listJobs.bind(this.jobs);
    this.cancelJob = this.jobs.cancelJob.bind(this.jobs);
    this.retryFailedItems = this.jobs.retryFailedItems.bind(this.jobs);
    this.deleteJob = this.jobs.deleteJob.bind(this.jobs);
    this.cancelledJobIds = this.jobs.cancelledJobIds.bind(this.jobs);
    this.countItemsByState = this.jobs.countItemsByState.bind(this.jobs);
    this.deleteExpiredJobs = this.jobs.deleteExpiredJobs.bind(this.jobs);
    this.addItems = this.items.addItems.bind(this.items);
    this.listItems = this.items.listItems.bind(this.items);
    this.listResults = this.items.listResults.bind(this.items);
    this.isDocumentVisible = this.items.isDocumentVisible.bind(this.items);
    this.llmUsage = this.items.llmUsage.bind(this.items);
    this.finishAttempt = this.attempts.finishAttempt.bind(this.attempts);
    this.recordAttempt = this.attempts.recordAttempt.bind(this.attempts);
    this.findFreshDocuments = this.documents.findFreshDocuments.bind(this.documents);
    this.getDocument = this.documents.getDocument.bind(this.documents);
    this.getDocumentByUrl = this.documents.getDocumentByUrl.bind(this.documents);
    this.putDocument = this.documents.putDocument.bind(this.documents);
    this.getDocumentValidators = this.documents.getDocumentValidators.bind(this.documents);
    this.listDocumentVersions = this.documents.listDocumentVersions.bind(this.documents);
    this.deleteOrphanDocuments = this.documents.deleteOrphanDocuments.bind(this.documents);
    this.saveScreenshot = this.screenshots.saveScreenshot.bind(this.screenshots);
    this.getScreenshot = this.screenshots.getScreenshot.bind(this.screenshots);
    this.claimBatch = this.queue.claimBatch.bind(this.queue);
    this.claimDeliveries = this.queue.claimDeliveries.bind(this.queue);
    this.renewLeases = this.queue.renewLeases.bind(this.queue);
    this.reclaimExpired = this.queue.reclaimExpired.bind(this.queue);
    this.listQueuedItems = this.queue.listQueuedItems.bind(this.queue);
    this.appendEvents = this.events.appendEvents.bind(this.events);
    this.listEvents = this.events.listEvents.bind(this.events);
    this.listUnpublishedEvents = this.events.listUnpublishedEvents.bind(this.events);
    this.outboxBacklog = this.events.outboxBacklog.bind(this.events);
    this.markEventsPublished = this.events.markEventsPublished.bind(this.events);
    this.deleteExpiredEvents = this.events.deleteExpiredEvents.bind(this.events);
    this.listEventLog = this.events.listEventLog.bind(this.events);
    this.enqueueWebhookDeliveries = this.webhooks.enqueueWebhookDeliveries.bind(this.webhooks);
    this.listDueWebhookDeliveries = this.webhooks.listDueWebhookDeliveries.bind(this.webhooks);
    this.recordWebhookAttempt = this.webhooks.recordWebhookAttempt.bind(this.webhooks);
    this.listWebhookDeliveries = this.webhooks.listWebhookDeliveries.bind(this.webhooks);
    this.replayWebhookDelivery = this.webhooks.replayWebhookDelivery.bind(this.webhooks);
    this.replayFailedWebhookDeliveries = this.webhooks.replayFailedWebhookDeliveries.bind(this.webhooks);
    this.deleteFinishedWebhookDeliveries = this.webhooks.deleteFinishedWebhookDeliveries.bind(this.webhooks);
    this.countRetryingWebhookDeliveries = this.webhooks.countRetryingWebhookDeliveries.bind(this.webhooks);
    this.createSchedule = this.schedules.createSchedule.bind(this.schedules);
    this.getSchedule = this.schedules.getSchedule.bind(this.schedules);
    this.listSchedules = this.schedules.listSchedules.bind(this.schedules);
    this.setScheduleStatus = this.schedules.setScheduleStatus.bind(this.schedules);
    this.deleteSchedule = this.schedules.deleteSchedule.bind(this.schedules);
    this.listDueSchedules = this.schedules.listDueSchedules.bind(this.schedules);
    this.recordScheduleRun = this.schedules.recordScheduleRun.bind(this.schedules);
    this.insertApiKey = this.apiKeys.insertApiKey.bind(this.apiKeys);
    this.listApiKeys = this.apiKeys.listApiKeys.bind(this.apiKeys);
    this.revokeApiKey = this.apiKeys.revokeApiKey.bind(this.apiKeys);
    this.findLiveApiKey = this.apiKeys.findLiveApiKey.bind(this.apiKeys);
    this.countApiKeys = this.apiKeys.countApiKeys.bind(this.apiKeys);
    this.touchApiKey = this.apiKeys.touchApiKey.bind(this.apiKeys);
    this.acquireLease = this.leases.acquireLease.bind(this.leases);
    this.releaseLease = this.leases.releaseLease.bind(this.leases);
    this.checkWritable = this.leases.checkWritable.bind(this.leases);
    this.searchDocuments = this.search.searchDocuments.bind(this.search);
  }

  /**
   * The key of `url`'s document as `tenant` sees it (see `createDocumentKey`): shared by every
   * tenant by default, separate per tenant under `tenantIsolation`.
   */
  documentKey(url: string, tenant?: string): string {
    return this.#context.documentKey(url, tenant);
  }

  /** Runs `fn` in one read-write transaction, with every store over it. */
  transaction<T>(fn: (stores: KyselyStores) => Promise<T>): Promise<T> {
    return inTransaction(this.#context, (trx) => fn(createStores(trx, this.#documentVersions)));
  }
}
