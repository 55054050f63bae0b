import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api-error.js';
import { readBatchBody, readCrawlBody, readMapBody, readScrapeBody } from './firecrawl-requests.js';

function codeOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return { code: (error as ApiError).code, message: (error as ApiError).message };
  }
  throw new Error('expected a refusal');
}

describe('Firecrawl requests read into distill inputs', () => {
  it('maps scrape options: formats, maxAge in ms, timeout, screenshots', () => {
    const scrape = readScrapeBody({
      url: 'https://example.com/',
      formats: ['markdown', 'html', { type: 'screenshot', fullPage: true }],
      maxAge: 90_500,
      timeout: 200_000,
      onlyMainContent: true,
      origin: 'js-sdk@4.42.0',
    });
    expect(scrape.options).toEqual({
      formats: ['markdown', 'html'],
      maxAgeSeconds: 90,
      timeoutMs: 120_000,
      screenshot: 'fullPage',
    });
    expect(scrape.timeoutMs).toBe(200_000);
    expect(readScrapeBody({ url: 'https://example.com/' }).options).toEqual({ formats: ['markdown'] });
  });

  it('refuses what distill does not do, naming the field, and accepts it left unset', () => {
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', formats: ['rawHtml'] }))).toMatchObject({
      code: 'unsupported_option',
      message: expect.stringContaining('formats[0]'),
    });
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', formats: ['extract'] })).message).toContain(
      'ask for `json`',
    );
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', formats: ['question'] })).message).toContain(
      'language model',
    );
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', onlyMainContent: false })).code).toBe(
      'unsupported_option',
    );
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', waitFor: 500 })).message).toContain(
      '`waitFor`',
    );
    expect(
      readScrapeBody({ url: 'https://x.test/', waitFor: 0, includeTags: [], headers: {}, mobile: false }).url,
    ).toBe('https://x.test/');
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', fromats: ['markdown'] }))).toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('`fromats`'),
    });
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', maxAge: '1h' })).message).toContain(
      '`maxAge`',
    );
    expect(codeOf(() => readScrapeBody({})).message).toContain('`url` is required');
  });

  it("reads json (v2 object, v1 jsonOptions) and summary as distill's formats", () => {
    const schema = { type: 'object', properties: { title: { type: 'string' } } };
    const v2 = readScrapeBody({
      url: 'https://x.test/',
      formats: ['markdown', { type: 'json', schema, prompt: 'The title' }, 'summary'],
    });
    expect(v2.options.formats).toEqual(['markdown', 'json', 'summary']);
    expect(v2.modelFormats).toEqual([{ type: 'json', schema, prompt: 'The title' }, 'summary']);
    const v1 = readScrapeBody({
      url: 'https://x.test/',
      jsonOptions: { systemPrompt: 'Be brief.', prompt: 'The title' },
      formats: ['json'],
    });
    expect(v1.modelFormats).toEqual([
      { type: 'json', schema: { type: 'object' }, prompt: 'Be brief.\n\nThe title' },
    ]);
    expect(codeOf(() => readScrapeBody({ url: 'https://x.test/', jsonOptions: { schema } })).message).toMatch(
      /`jsonOptions` is read only with "json" in formats/,
    );
    expect(
      codeOf(() => readScrapeBody({ url: 'https://x.test/', formats: [{ type: 'json' }] })).message,
    ).toMatch(/`formats\[0\]` needs a `schema` or a `prompt`/);
    expect(
      codeOf(() =>
        readScrapeBody({ url: 'https://x.test/', formats: [{ type: 'json', prompt: 'x', colour: 1 }] }),
      ).message,
    ).toContain('formats[0].colour');
    expect(
      codeOf(() =>
        readScrapeBody({
          url: 'https://x.test/',
          formats: [{ type: 'json', prompt: 'x', checkPromptInjection: true }],
        }),
      ).code,
    ).toBe('unsupported_option');
    expect(
      codeOf(() =>
        readBatchBody(
          { urls: ['https://x.test/a'], formats: ['links', { type: 'json', prompt: 'x', schema: [] }] },
          10,
        ),
      ).message,
    ).toContain('`formats[1].schema` must be a JSON Schema object');
  });

  it('reads a batch with its webhook, and refuses webhook headers and a subset of events', () => {
    const batch = readBatchBody(
      {
        urls: ['https://x.test/a'],
        formats: ['links'],
        webhook: { url: 'https://hooks.test/h', events: ['completed', 'page', 'failed', 'started'] },
      },
      100,
    );
    expect(batch.webhook).toEqual({ url: 'https://hooks.test/h' });
    expect(batch.options.formats).toEqual(['links']);
    expect(
      codeOf(() =>
        readBatchBody(
          { urls: ['https://x.test/a'], webhook: { url: 'https://hooks.test/h', headers: { a: 'b' } } },
          100,
        ),
      ).message,
    ).toContain('webhook.headers');
    expect(
      codeOf(() =>
        readBatchBody(
          { urls: ['https://x.test/a'], webhook: { url: 'https://hooks.test/h', events: ['completed'] } },
          100,
        ),
      ).message,
    ).toContain('webhook.events');
    expect(codeOf(() => readBatchBody({ urls: ['a', 'b'] }, 1)).message).toContain('`urls`');
  });

  it('maps crawl paths: Firecrawl path regexes and the start path without crawlEntireDomain', () => {
    const scoped = readCrawlBody(
      {
        url: 'https://x.test/docs',
        limit: 20,
        maxDiscoveryDepth: 2,
        scrapeOptions: { formats: ['markdown'] },
      },
      'v2',
    );
    expect(scoped.crawl).toMatchObject({
      include: ['/docs/**', '/docs'],
      maxPages: 20,
      maxDepth: 2,
      sameSite: true,
      useSitemap: true,
    });
    const paths = readCrawlBody(
      {
        url: 'https://x.test/',
        includePaths: ['^/blog/.*'],
        excludePaths: ['private'],
        allowExternalLinks: true,
        sitemap: 'skip',
      },
      'v2',
    );
    expect(paths.crawl).toMatchObject({
      include: ['/^https?:\\/\\/[^\\/]+\\/blog\\/.*/'],
      exclude: ['/private/'],
      sameSite: false,
      useSitemap: false,
    });
    const whole = readCrawlBody({ url: 'https://x.test/docs', crawlEntireDomain: true }, 'v1');
    expect(whole.crawl).toMatchObject({ include: [], maxDepth: 10 });
    expect(codeOf(() => readCrawlBody({ url: 'https://x.test/', prompt: 'docs only' }, 'v2')).code).toBe(
      'unsupported_option',
    );
    expect(codeOf(() => readCrawlBody({ url: 'https://x.test/', sitemap: 'only' }, 'v2')).code).toBe(
      'unsupported_option',
    );
  });

  it('reads a map request in its v1 and v2 spellings', () => {
    expect(
      readMapBody({
        url: 'https://x.test/',
        search: 'blog',
        limit: 10,
        timeout: 5000,
        includeSubdomains: true,
      }),
    ).toEqual({
      url: 'https://x.test/',
      search: 'blog',
      limit: 10,
      timeoutMs: 5000,
      includeSubdomains: true,
    });
    expect(readMapBody({ url: 'https://x.test/', sitemapOnly: true }).sitemap).toBe('only');
    expect(readMapBody({ url: 'https://x.test/', ignoreSitemap: true }).sitemap).toBe('skip');
    expect(codeOf(() => readMapBody({ url: 'https://x.test/', limit: 0 })).message).toContain('`limit`');
  });
});
