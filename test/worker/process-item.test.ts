import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractorPool } from '../../src/extract/index.js';
import { MemoryHostLimiter, type Fetcher, type FetchedResponse } from '../../src/fetch/index.js';
import type { ClaimedItem } from '../../src/jobs/index.js';
import { createProcessItem } from '../../src/worker/index.js';
import { defaultOptions } from '../helpers/store.js';

/** A fetcher that answers every URL with `body`, in a buffer of its own (as undici gives large bodies). */
function fetcherOf(html: string): Fetcher {
  return {
    fetch: (url): Promise<FetchedResponse> => {
      // A Buffer over an ArrayBuffer of its own, as undici gives large bodies: it can be
      // transferred to the extraction thread, and `slice()` on it is a view, not a copy.
      const bytes = Buffer.from(html, 'utf8');
      const body = Buffer.from(new ArrayBuffer(bytes.byteLength));
      bytes.copy(body);
      return Promise.resolve({
        requestedUrl: url,
        finalUrl: url,
        status: 200,
        contentType: 'text/html; charset=utf-8',
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body,
        redirects: 0,
        elapsedMs: 1,
      });
    },
    close: () => Promise.resolve(),
  };
}

const ARTICLE = `<!doctype html><html><head><title>Long page</title><script src="/app.js"></script></head><body>
<article><h1>Long page</h1>${'<p>A paragraph of real text that makes the page long enough to need its own buffer. </p>'.repeat(200)}</article></body></html>`;

describe('processing one item', () => {
  let extractor: ExtractorPool;
  beforeAll(() => {
    extractor = new ExtractorPool({ threads: 1 });
  });
  afterAll(async () => {
    await extractor.stop();
  });

  it.each(['never', 'auto'] as const)(
    'extracts a large HTML page with render "%s" (the body handed to the thread is not reused)',
    async (render) => {
      const task = createProcessItem({
        fetcher: fetcherOf(ARTICLE),
        hostLimiter: new MemoryHostLimiter({}),
        extractor,
        hostMaxWaitMs: 1000,
      });
      const item: ClaimedItem = {
        jobId: 'j',
        seq: 0,
        url: 'https://example.com/long',
        attempt: 1,
        token: 't',
        options: { ...defaultOptions, render },
      };
      const outcome = await task(item, { signal: new AbortController().signal });
      expect(outcome.kind).toBe('succeeded');
      if (outcome.kind === 'succeeded') {
        expect(outcome.document.title).toBe('Long page');
        expect(outcome.document.text.length).toBeGreaterThan(5000);
        expect(outcome.document.quality).toMatchObject({ renderPath: 'plain' });
      }
    },
  );

  it('hands the fetched body off (its size) before the extraction starts, on the plain path', async () => {
    const handedOff: number[] = [];
    let extractionsWhenHandedOff = -1;
    let extractions = 0;
    const task = createProcessItem({
      fetcher: fetcherOf(ARTICLE),
      hostLimiter: new MemoryHostLimiter({}),
      extractor: {
        run: (input, options) => {
          extractions++;
          return extractor.run(input, options);
        },
      },
      hostMaxWaitMs: 1000,
    });
    const item: ClaimedItem = {
      jobId: 'j',
      seq: 0,
      url: 'https://example.com/long',
      attempt: 1,
      token: 't',
      options: defaultOptions,
    };
    const outcome = await task(item, {
      signal: new AbortController().signal,
      handOff: (bytes) => {
        handedOff.push(bytes);
        extractionsWhenHandedOff = extractions;
      },
    });
    expect(outcome.kind).toBe('succeeded');
    expect(handedOff).toEqual([Buffer.byteLength(ARTICLE)]);
    expect(extractionsWhenHandedOff).toBe(0);
  });
});
