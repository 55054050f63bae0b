/** distill's jobs, items and documents in the shapes Firecrawl's API answers with. */
import type { Item, ItemLlmResult, Job, JobOptions, StoredDocument } from '../../../jobs/index.js';

/** Firecrawl's job status: `scraping` until distill's job is final. */
export function firecrawlStatus(job: Job): 'scraping' | 'completed' | 'cancelled' {
  if (job.status === 'cancelled') return 'cancelled';
  return job.status === 'completed' ? 'completed' : 'scraping';
}

/**
 * A Firecrawl document from a stored one, with the outputs the job asked for. `json` and `summary`
 * are the model's answers stored with the item (`llm`): null when the model gave none, with the
 * reason in the document's `warning`, as Firecrawl reports a part it could not make.
 */
export function toFirecrawlDocument(
  document: StoredDocument,
  options: Pick<JobOptions, 'formats' | 'screenshot'>,
  apiBase: string,
  llm?: ItemLlmResult,
): Record<string, unknown> {
  const formats = new Set(options.formats);
  const out: Record<string, unknown> = {};
  if (formats.has('markdown')) out.markdown = document.markdown ?? '';
  if (formats.has('html')) out.html = document.html ?? '';
  if (formats.has('links')) out.links = document.links;
  if (formats.has('json')) out.json = llm?.json ?? null;
  if (formats.has('summary')) out.summary = llm?.summary ?? null;
  if (llm?.errors !== undefined && llm.errors.length > 0)
    out.warning = llm.errors.map((e) => `${e.part}: ${e.code}: ${e.message}`).join('; ');
  if (options.screenshot !== undefined && options.screenshot !== 'none') {
    out.screenshot = `${apiBase}/v1/documents/${encodeURIComponent(document.id)}/screenshot`;
  }
  const source = document.metadata.source;
  out.metadata = {
    title: document.title ?? '',
    ...(document.description !== null ? { description: document.description } : {}),
    ...(document.lang !== null ? { language: document.lang } : {}),
    ...(document.siteName !== null ? { ogSiteName: document.siteName } : {}),
    ...(document.byline !== null ? { author: document.byline } : {}),
    ...(document.publishedTime !== null ? { publishedTime: document.publishedTime } : {}),
    ...(document.canonicalUrl !== null ? { canonicalUrl: document.canonicalUrl } : {}),
    sourceURL: document.url,
    url: document.finalUrl,
    statusCode: document.httpStatus,
    contentType: document.mimeType,
    cachedAt: new Date(document.fetchedAt).toISOString(),
    ...(typeof source === 'string' ? { source } : {}),
    scrapeId: document.id,
    creditsUsed: 0,
    distill: {
      documentId: document.id,
      extractor: document.extractor,
      wordCount: document.wordCount,
      ...(llm !== undefined
        ? { llm: { model: llm.model, tokensIn: llm.tokensIn, tokensOut: llm.tokensOut, calls: llm.calls } }
        : {}),
    },
  };
  return out;
}

/** One failed item as an entry of Firecrawl's `errors`. */
export function toFirecrawlError(item: Item): Record<string, unknown> {
  return {
    id: `${item.jobId}:${item.seq}`,
    timestamp: new Date(item.finishedAt ?? item.updatedAt).toISOString(),
    url: item.url,
    code: item.error?.code ?? 'failed',
    error: item.error?.message ?? 'The page failed',
  };
}
