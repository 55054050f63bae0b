import type { ExtractedDocument, ExtractInput } from '../extract/index.js';
import { acquireHostSlot, type Fetcher, type HostLimiter } from '../fetch/index.js';
import type { ItemOutcome, NewDocument } from '../jobs/index.js';
import { systemClock, type Clock } from '../lib/index.js';
import type { TaskFunction } from './pool.js';

/** What process-item needs of the extraction thread pool. */
export interface Extractor {
  run(input: ExtractInput, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<ExtractedDocument>;
}

export interface ProcessItemDependencies {
  fetcher: Fetcher;
  hostLimiter: HostLimiter;
  extractor: Extractor;
  /** Longest wait for the host's slot before the item yields and is rescheduled. */
  hostMaxWaitMs: number;
  clock?: Clock;
  /** Observes the time of each extraction (metrics). */
  onExtracted?: (durationMs: number, mimeType: string) => void;
}

/** Maps an extracted document and its response to what storage keeps. */
export function toNewDocument(doc: ExtractedDocument, httpStatus: number, fetchedAt: number): NewDocument {
  return {
    finalUrl: doc.url,
    canonicalUrl: doc.canonicalUrl,
    mimeType: doc.mimeType,
    httpStatus,
    title: doc.title,
    byline: doc.byline,
    description: doc.description,
    siteName: doc.siteName,
    lang: doc.lang,
    publishedTime: doc.publishedTime,
    text: doc.text,
    markdown: doc.markdown,
    html: doc.html,
    links: doc.links,
    wordCount: doc.wordCount,
    extractor: doc.extractor,
    quality: { ...doc.quality },
    metadata: doc.metadata,
    fetchedAt,
  };
}

/**
 * The task of one item: wait (briefly) for the host's politeness slot, fetch, extract in the
 * thread pool, and hand the document back for storage. The host slot is held only while the
 * request is in flight, not during extraction. Errors propagate with their class for the pool's
 * retry policy; the `signal` aborts both the fetch and the extraction on cancel or shutdown.
 */
export function createProcessItem(deps: ProcessItemDependencies): TaskFunction {
  const clock = deps.clock ?? systemClock;
  return async (item, { signal }): Promise<ItemOutcome> => {
    const host = new URL(item.url).host;
    const slot = await acquireHostSlot(deps.hostLimiter, host, { maxWaitMs: deps.hostMaxWaitMs, signal });
    let response;
    try {
      response = await deps.fetcher.fetch(item.url, { signal, timeoutMs: item.options.timeoutMs });
    } finally {
      await slot.release();
    }
    const startedAt = performance.now();
    const doc = await deps.extractor.run(
      { url: response.finalUrl, contentType: response.contentType, body: response.body, formats: item.options.formats },
      { signal },
    );
    deps.onExtracted?.(performance.now() - startedAt, doc.mimeType);
    return { kind: 'succeeded', document: toNewDocument(doc, response.status, clock.now()) };
  };
}
