import {
  acquireHostSlot,
  type AppliedDomainRule,
  BlockedBySiteError,
  type HostLimits,
  HostRateLimitedError,
  openRequestSecrets,
  ProxyError,
  ProxyPoolUnknownError,
  type ProxyLease,
  type FetchedResponse,
  type FetchOptions,
  type GrantedHostSlot,
} from '../fetch/index.js';
import { extractedFormats, type ClaimedItem, type ItemOutcome } from '../jobs/index.js';
import { SecretKeyMissingError, silentLogger, systemClock } from '../lib/index.js';
import type { TaskFunction } from './pool.js';
import type { ConditionalDocuments, ProcessItemDependencies } from './process-item-types.js';
import { extract, renderItem, toNewDocument, withRenderPath } from './render-item.js';

export type {
  ConditionalDocuments,
  Extractor,
  HostWaitOutcome,
  ProcessItemDependencies,
} from './process-item-types.js';
export { toNewDocument } from './render-item.js';

/**
 * The task of one item: wait (briefly) for the host's politeness slot, fetch, extract in the
 * thread pool, and hand the document back for storage. The host slot is held only while the
 * request is in flight, not during extraction; on the plain path the pool's fetch slot is given
 * back too once the body is fetched (`TaskContext.handOff`). Errors propagate with their class
 * for the pool's retry policy; the `signal` aborts both the fetch and the extraction on cancel or shutdown.
 */
export function createProcessItem(deps: ProcessItemDependencies): TaskFunction {
  const clock = deps.clock ?? systemClock;
  const renderRescheduleMs = deps.renderRescheduleMs ?? 5000;
  return async (claimed, { signal, log = silentLogger, handOff }): Promise<ItemOutcome> => {
    const rule = await deps.domainRules?.forJob(claimed.jobId, new URL(claimed.url).hostname);
    const item = withDomainRule(claimed, rule);
    const render = item.options.render ?? 'never';
    const screenshot = deps.screenshots ? (item.options.screenshot ?? 'none') : 'none';
    const needsBrowser = render === 'always' || screenshot !== 'none';
    if (needsBrowser && !deps.renderer) {
      // Only render workers host a browser: hand the item back (attempt not counted) for one of them.
      return {
        kind: 'retry',
        error: {
          code: 'render_unavailable',
          message: 'Waiting for a worker that renders (distill worker --render)',
        },
        runAfter: clock.now() + renderRescheduleMs,
        countsAttempt: false,
      };
    }
    // Conditional request (issue 9), except where a fresh render or screenshot is the point.
    const validators =
      deps.documents && render !== 'always' && screenshot === 'none'
        ? await deps.documents.getDocumentValidators(item.url, item.urlKey)
        : null;
    const host = new URL(item.url).host;
    const secrets = secretsOf(deps, item);
    const fetchVia = (pool: string | undefined): Promise<FetchedResponse> =>
      fetchThrough(
        deps,
        item,
        pool,
        host,
        signal,
        { ...conditionalOptions(validators), secrets, ...domainFetchOptions(rule) },
        rule,
      );
    let response: FetchedResponse;
    try {
      response = await fetchVia(item.options.proxyPool);
    } catch (error) {
      // A bot wall: the job may ask for one more try through another pool (issue 20).
      const fallback = item.options.onBlocked?.proxyPool;
      if (
        !(error instanceof BlockedBySiteError) ||
        fallback === undefined ||
        fallback === item.options.proxyPool
      )
        throw error;
      log.info(
        { reason: error.reason, pool: fallback },
        'Blocked by the site; trying once more through the onBlocked pool',
      );
      response = await fetchVia(fallback);
      response = { ...response, blockedFirst: error.reason };
    }
    if (response.status === 304 && validators && deps.documents) {
      return notModified(deps.documents, validators.documentId, response, clock.now());
    }
    if (render === 'never' && screenshot === 'none') {
      // The plain path, unchanged: nothing below runs for jobs that do not render. The body goes
      // to the hand-off (when the pool has one), and this item's fetch slot to the next URL.
      handOff?.(response.body.byteLength);
      const doc = await extract(
        deps,
        {
          url: response.finalUrl,
          contentType: response.contentType,
          body: response.body,
          formats: extractedFormats(item.options.formats),
          ...(item.options.ocrLanguages !== undefined ? { ocrLanguages: item.options.ocrLanguages } : {}),
        },
        signal,
      );
      return withValidators(response, {
        kind: 'succeeded',
        document: withRenderPath(toNewDocument(doc, response.status, clock.now()), 'plain'),
      });
    }
    return withValidators(response, await renderItem(deps, clock, item, response, signal, log, handOff));
  };
}

/**
 * One fetch of the item: a proxy of `pool` (when set), the host's politeness slot, the request; the
 * proxy is told how it fared (ejection), the slot is held only while the request is in flight.
 */
async function fetchThrough(
  deps: ProcessItemDependencies,
  item: ClaimedItem,
  pool: string | undefined,
  host: string,
  signal: AbortSignal,
  extra: Pick<FetchOptions, 'etag' | 'lastModified' | 'secrets' | 'robots' | 'domainHeaders'>,
  rule?: AppliedDomainRule,
): Promise<FetchedResponse> {
  const proxy = acquireProxy(deps, pool, item, host);
  let proxyOutcome: 'proxy_failed' | 'answered' | 'unused' = 'unused';
  try {
    const slot = await waitForHost(deps, item.jobId, host, signal, rule?.limits);
    try {
      const fetched = await deps.fetcher.fetch(item.url, {
        signal,
        timeoutMs: item.options.timeoutMs,
        ...extra,
        proxy: proxy?.proxy,
      });
      proxyOutcome = 'answered';
      const response = rule ? { ...fetched, domainRule: rule.pattern } : fetched;
      return proxy ? { ...response, via: { pool: proxy.pool, proxy: proxy.proxy } } : response;
    } catch (error) {
      proxyOutcome = error instanceof ProxyError ? 'proxy_failed' : 'answered';
      throw error;
    } finally {
      await slot.release();
    }
  } finally {
    proxy?.release(proxyOutcome);
  }
}

/** The item with its domain rule's render mode, timeout and proxy pool in place of the job's. */
function withDomainRule(item: ClaimedItem, rule: AppliedDomainRule | undefined): ClaimedItem {
  if (rule === undefined) return item;
  const options = { ...item.options };
  if (rule.render !== undefined) options.render = rule.render;
  if (rule.timeoutMs !== undefined) options.timeoutMs = rule.timeoutMs;
  if (rule.proxyPool !== undefined) options.proxyPool = rule.proxyPool;
  return { ...item, options };
}

/** What a domain rule asks of the fetch itself: its robots.txt policy and headers. */
function domainFetchOptions(
  rule: AppliedDomainRule | undefined,
): Pick<FetchOptions, 'robots' | 'domainHeaders'> {
  return {
    ...(rule?.robots === undefined ? {} : { robots: rule.robots }),
    ...(rule?.headers === undefined
      ? {}
      : { domainHeaders: { pattern: rule.pattern, headers: rule.headers } }),
  };
}

/** A proxy of the item's pool, when its job names one; rotation, limits and health are the pool's. */
function acquireProxy(
  deps: ProcessItemDependencies,
  pool: string | undefined,
  item: ClaimedItem,
  host: string,
): ProxyLease | undefined {
  if (pool === undefined) return undefined;
  if (deps.proxyPools === undefined) throw new ProxyPoolUnknownError(pool);
  return deps.proxyPools.acquire(pool, { host, sessionKey: item.options.proxySession });
}

/** The item's headers and cookies, opened, with the host its headers are limited to. */
function secretsOf(deps: ProcessItemDependencies, item: ClaimedItem): FetchOptions['secrets'] {
  const sealed = item.options.secrets;
  if (sealed === undefined) return undefined;
  if (deps.secretBox === undefined) throw new SecretKeyMissingError("This job's headers and cookies");
  return { secrets: openRequestSecrets(deps.secretBox, sealed), ownHost: new URL(item.url).host };
}

/** `acquireHostSlot`, timed for `onHostWait`: waits that got the slot and waits that gave up. */
async function waitForHost(
  deps: ProcessItemDependencies,
  jobId: string,
  host: string,
  signal: AbortSignal,
  limits?: HostLimits,
): Promise<GrantedHostSlot> {
  const startedAt = performance.now();
  const endWait = deps.hostWaits?.begin(jobId, host);
  try {
    const slot = await acquireHostSlot(deps.hostLimiter, host, {
      maxWaitMs: deps.hostMaxWaitMs,
      signal,
      limits,
    });
    deps.onHostWait?.(performance.now() - startedAt, 'acquired');
    return slot;
  } catch (error) {
    if (error instanceof HostRateLimitedError) {
      deps.onHostWait?.(performance.now() - startedAt, 'rescheduled');
      deps.hostWaits?.rescheduled(jobId, host, error.retryAfterMs);
    }
    throw error;
  } finally {
    endWait?.();
  }
}

function conditionalOptions(validators: { etag: string | null; lastModified: string | null } | null): {
  etag?: string;
  lastModified?: string;
} {
  return {
    ...(validators?.etag ? { etag: validators.etag } : {}),
    ...(validators?.lastModified ? { lastModified: validators.lastModified } : {}),
  };
}

/** Keeps the response's validators with the document, for the next fetch's conditional request. */
function withValidators(response: FetchedResponse, outcome: ItemOutcome): ItemOutcome {
  if (outcome.kind !== 'succeeded') return outcome;
  const etag = response.headers['etag'] ?? null;
  const lastModified = response.headers['last-modified'] ?? null;
  const document = {
    ...outcome.document,
    etag: etag?.slice(0, 1024) ?? null,
    lastModified: lastModified?.slice(0, 128) ?? null,
  };
  // Which proxy fetched it, by name (never its URL or credentials).
  if (response.via)
    document.quality = { ...document.quality, proxyPool: response.via.pool, proxy: response.via.proxy };
  if (response.blockedFirst !== undefined)
    document.quality = { ...document.quality, blockedFirst: response.blockedFirst };
  // The domain rule that applied (issue 20), by its pattern.
  if (response.domainRule !== undefined)
    document.quality = { ...document.quality, domainRule: response.domainRule };
  return { ...outcome, document };
}

/**
 * A 304 Not Modified: the item succeeds with the stored document, unchanged but for `fetchedAt`.
 * Should the document have gone meanwhile (retention), the item goes back to the queue, attempt not
 * counted, and is fetched in full next time.
 */
async function notModified(
  documents: ConditionalDocuments,
  documentId: string,
  response: FetchedResponse,
  now: number,
): Promise<ItemOutcome> {
  const stored = await documents.getDocument(documentId);
  if (!stored) return { kind: 'retry', error: null, runAfter: now, countsAttempt: false };
  const { id: _id, url: _url, contentHash: _hash, ...document } = stored;
  return {
    kind: 'succeeded',
    isNotModified: true,
    document: {
      ...document,
      fetchedAt: now,
      etag: response.headers['etag'] ?? null,
      lastModified: response.headers['last-modified'] ?? null,
    },
  };
}
