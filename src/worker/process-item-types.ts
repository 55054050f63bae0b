/**
 * The declarations of process-item's dependencies (moved out of process-item.ts, which re-exports them).
 */
import type { ExtractedDocument, ExtractInput } from '../extract/index.js';
import type { AppliedDomainRule, Fetcher, HostLimiter, HostWaits, ProxyPools } from '../fetch/index.js';
import type { StoredDocument } from '../jobs/index.js';
import type { Clock, SecretBox } from '../lib/index.js';
import type { Renderer, ScreenshotStore } from '../render/index.js';

/** What process-item needs of the extraction thread pool. */
export interface Extractor {
  run(
    input: ExtractInput,
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<ExtractedDocument>;
}

export interface ProcessItemDependencies {
  fetcher: Fetcher;
  hostLimiter: HostLimiter;
  extractor: Extractor;
  /** Longest wait for the host's slot before the item yields and is rescheduled. */
  hostMaxWaitMs: number;
  /** Told of every wait for a host's slot, per job, so the job can say what it waits for. */
  hostWaits?: HostWaits | undefined;
  clock?: Clock;
  /** Observes the time of each extraction (metrics). */
  onExtracted?: (durationMs: number, mimeType: string) => void;
  /**
   * Observes each wait for the host's slot (metrics): how long the item waited, and whether it got
   * the slot or gave up past `hostMaxWaitMs` and goes back to the queue.
   */
  onHostWait?: (waitedMs: number, outcome: HostWaitOutcome) => void;
  /**
   * The browser pool. Absent on workers that must never host a browser (`distill worker` without
   * `--render`): `render: "auto"` then keeps the plain document, and items that need the browser
   * (`render: "always"`, a screenshot) go back to the queue for a render worker.
   */
  renderer?: Renderer | undefined;
  /** Keeps screenshots; without it they are not taken. */
  screenshots?: ScreenshotStore | undefined;
  /** How long an item that needs a browser waits before a worker claims it again, in milliseconds. @default 5000 */
  renderRescheduleMs?: number;
  /** Observes each render (metrics, logs). */
  onRendered?: (durationMs: number, outcome: 'rendered' | 'failed') => void;
  /**
   * Stored documents' validators (issue 9): a URL fetched before is asked for with If-None-Match /
   * If-Modified-Since, and a 304 keeps its stored document. Without it every fetch is plain.
   */
  documents?: ConditionalDocuments | undefined;
  /**
   * Opens jobs' sealed headers and cookies (issue 20). Without it, an item of a job that has them
   * fails with `secret_key_missing` rather than being fetched without them.
   */
  secretBox?: SecretBox | undefined;
  /** The proxy pools jobs may name (`options.proxyPool`). Without them such items fail with `proxy_pool_unknown`. */
  proxyPools?: ProxyPools | undefined;
  /** The domain rule of an item's host (issue 20): its settings win over the job's options. */
  domainRules?:
    { forJob(jobId: string, hostname: string): Promise<AppliedDomainRule | undefined> } | undefined;
}

/** How a wait for the host's slot ended: with the slot, or rescheduled (the wait would exceed `hostMaxWaitMs`). */
export type HostWaitOutcome = 'acquired' | 'rescheduled';

/** What conditional requests need of storage (the repository has it). */
export interface ConditionalDocuments {
  /** `key`: the item's document key (`ClaimedItem.urlKey`); derived from the URL when absent. */
  getDocumentValidators(
    url: string,
    key?: string,
  ): Promise<{ documentId: string; etag: string | null; lastModified: string | null } | null>;
  getDocument(id: string): Promise<StoredDocument | null>;
}
