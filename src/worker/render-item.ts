/**
 * The render decision path of process-item (moved out of process-item.ts): whether an HTML page is
 * rendered in the browser, and the extraction and document helpers both paths share.
 */
import { sniffContentType, type ExtractedDocument, type ExtractInput } from '../extract/index.js';
import type { FetchedResponse } from '../fetch/index.js';
import { extractedFormats, type ClaimedItem, type ItemOutcome, type NewDocument } from '../jobs/index.js';
import { DistillError, toError, type Clock, type Logger } from '../lib/index.js';
import { judgeAppShell, type RenderPath } from '../render/index.js';
import type { TaskContext } from './pool.js';
import type { ProcessItemDependencies } from './process-item-types.js';

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

export async function extract(
  deps: ProcessItemDependencies,
  input: ExtractInput,
  signal: AbortSignal,
): Promise<ExtractedDocument> {
  const startedAt = performance.now();
  const doc = await deps.extractor.run(input, { signal });
  deps.onExtracted?.(performance.now() - startedAt, doc.mimeType);
  return doc;
}

export function withRenderPath(
  document: NewDocument,
  renderPath: RenderPath,
  extra: Record<string, unknown> = {},
): NewDocument {
  return { ...document, quality: { ...document.quality, renderPath, ...extra } };
}

/** Only HTML pages are rendered; PDFs, text and the rest take the plain path whatever `render` says. */
function isHtml(response: FetchedResponse): boolean {
  return sniffContentType(response.contentType, response.body).kind === 'html';
}

/** The page's first bytes as text, for the shell markers (all ASCII, so no charset is needed). */
function markupOf(body: Uint8Array): string {
  const head = body.subarray(0, 512 * 1024);
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
}

/**
 * The render path: `always` (or a screenshot) renders every HTML page; `auto` extracts the plain
 * page first and renders it only when `judgeAppShell` calls it a shell, keeping the plain document
 * when there is no browser here or the render fails. The browser is served the plain fetch's bytes
 * for the navigation (robots.txt, redirects, guard and size caps already applied), so the page
 * itself is requested once; its scripts' requests go through the browser's guard and egress proxy.
 */
export async function renderItem(
  deps: ProcessItemDependencies,
  clock: Clock,
  item: ClaimedItem,
  response: FetchedResponse,
  signal: AbortSignal,
  log: Logger,
  handOff: TaskContext['handOff'],
): Promise<ItemOutcome> {
  const render = item.options.render ?? 'never';
  const screenshot = deps.screenshots ? (item.options.screenshot ?? 'none') : 'none';
  const formats = extractedFormats(item.options.formats);
  if (!isHtml(response)) {
    handOff?.(response.body.byteLength);
    const doc = await extract(
      deps,
      { url: response.finalUrl, contentType: response.contentType, body: response.body, formats },
      signal,
    );
    return {
      kind: 'succeeded',
      document: withRenderPath(toNewDocument(doc, response.status, clock.now()), 'plain'),
    };
  }

  let plain: ExtractedDocument | undefined;
  let shellReason: string | undefined;
  if (render !== 'always') {
    // The extractor takes its input's buffer (transferred to its thread, which detaches it here);
    // this path still needs the bytes afterwards for the shell check and the browser: give it a copy.
    const plainInput = {
      url: response.finalUrl,
      contentType: response.contentType,
      body: new Uint8Array(response.body),
      formats,
    };
    // Without a screenshot to take, the browser may never be needed: the body waits for extraction
    // in the hand-off (when the pool has one), and this item's fetch slot goes to the next URL.
    // It holds the body twice meanwhile (the bytes and the extractor's copy), and counts so.
    if (screenshot === 'none') handOff?.(2 * response.body.byteLength);
    plain = await extract(deps, plainInput, signal);
    // The page's markup is made only for a page with little text (most have plenty).
    const verdict = judgeAppShell(() => markupOf(response.body), {
      mimeType: plain.mimeType,
      textLength: plain.quality.textLength,
    });
    if (verdict.isShell) shellReason = verdict.reason;
    const wantsRender = render === 'auto' && verdict.isShell;
    if ((!wantsRender && screenshot === 'none') || !deps.renderer) {
      const extra = verdict.isShell
        ? { appShell: verdict.reason, ...(wantsRender ? { renderSkipped: 'no_browser' } : {}) }
        : {};
      return {
        kind: 'succeeded',
        document: withRenderPath(toNewDocument(plain, response.status, clock.now()), 'plain', extra),
      };
    }
  }
  const renderer = deps.renderer;
  if (!renderer) throw new Error('unreachable: items that need a browser were handed back before fetching');

  const fetchedAt = clock.now();
  const startedAt = performance.now();
  let rendered;
  try {
    rendered = await renderer.render({
      url: response.finalUrl,
      document: { status: response.status, headers: response.headers, body: response.body },
      // The fetch used part of the item's time; the render gets its own budget of the same size.
      timeoutMs: item.options.timeoutMs,
      screenshot,
      contextKey: item.jobId,
      // The page's own requests go through the proxy that fetched it (issue 20).
      ...(response.via === undefined ? {} : { proxy: response.via.proxy }),
      signal,
    });
    deps.onRendered?.(performance.now() - startedAt, 'rendered');
  } catch (error) {
    deps.onRendered?.(performance.now() - startedAt, 'failed');
    if (plain && !signal.aborted) {
      // `auto` (or a screenshot of a page whose text the plain path gives): keep the plain document.
      const code = error instanceof DistillError ? error.code : 'internal_error';
      log.info({ err: toError(error), code }, 'Rendering failed; keeping the plain document');
      return {
        kind: 'succeeded',
        document: withRenderPath(toNewDocument(plain, response.status, fetchedAt), 'plain', {
          ...(shellReason ? { appShell: shellReason } : {}),
          renderError: `${code}: ${toError(error).message}`.slice(0, 300),
        }),
      };
    }
    throw error;
  }
  if (rendered.screenshot && deps.screenshots) {
    await deps.screenshots.saveScreenshot(item.url, { fetchedAt, png: rendered.screenshot }, item.urlKey);
  }
  const renderInfo = {
    ...(shellReason ? { appShell: shellReason } : {}),
    renderSettledBy: rendered.settledBy,
    renderBlockedRequests: rendered.blockedRequests,
    renderGuardBlockedRequests: rendered.guardBlockedRequests,
    renderMs: Math.round(rendered.elapsedMs),
    ...(rendered.screenshot ? { screenshot: screenshot } : {}),
  };
  // `never` with a screenshot keeps the plain text; `auto` keeps it for pages that are not shells.
  const useRendered = render === 'always' || (render === 'auto' && shellReason !== undefined);
  if (!useRendered && plain) {
    return {
      kind: 'succeeded',
      document: withRenderPath(toNewDocument(plain, response.status, fetchedAt), 'plain', renderInfo),
    };
  }
  const doc = await extract(
    deps,
    {
      url: rendered.url,
      contentType: 'text/html; charset=utf-8',
      body: Buffer.from(rendered.html, 'utf8'),
      formats,
    },
    signal,
  );
  return {
    kind: 'succeeded',
    document: withRenderPath(
      toNewDocument(doc, rendered.status ?? response.status, fetchedAt),
      'rendered',
      renderInfo,
    ),
  };
}
