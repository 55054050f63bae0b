/**
 * Firecrawl's `json` and `summary` formats on distill's own json and summary formats (issue 18 and
 * 19), driven by the official SDK (`@mendable/firecrawl-js`, pinned) against an in-test
 * OpenAI-compatible server that the real `openai` client talks to over HTTP (helpers/fake-openai):
 * v2 `{type: "json", schema, prompt}`, v1 `jsonOptions`, `summary`, a batch, an answer that breaks
 * the schema, and the Firecrawl-shaped errors of a bad schema and of a server with no model.
 */
import Firecrawl, { SdkError } from '@mendable/firecrawl-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app-server.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';

const SCHEMA = {
  type: 'object',
  properties: { title: { type: 'string' } },
  required: ['title'],
  additionalProperties: false,
};
const KEY = 'sk-firecrawl-llm-secret-0987654321';

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SdkError);
  return error as SdkError;
}

describe('Firecrawl json and summary through an OpenAI-compatible model', () => {
  let model: FakeOpenAi;
  let withModel: Awaited<ReturnType<typeof startApp>>;
  let withoutModel: Awaited<ReturnType<typeof startApp>>;
  let firecrawl: Firecrawl;

  beforeAll(async () => {
    model = await startFakeOpenAi();
    // Pages come from the test task: each one's Markdown is `# Title of <url>`, which the model reads.
    withModel = await startApp({
      DISTILL_LLM_URL: model.url,
      DISTILL_LLM_API_KEY: KEY,
      DISTILL_LLM_MODEL: 'schema-model',
      DISTILL_FETCH_ALLOW: '127.0.0.1',
      DISTILL_LLM_MAX_RETRIES: '0',
    });
    withoutModel = await startApp({});
    firecrawl = new Firecrawl({ apiKey: 'fc-unused', apiUrl: `${withModel.url}/firecrawl`, maxRetries: 1 });
  });

  afterAll(async () => {
    await withModel?.close();
    await withoutModel?.close();
    await model?.close();
  });

  it('v2: scrape answers data.json valid for the schema and data.summary', async () => {
    const document = await firecrawl.scrape('https://fc.example/one', {
      formats: ['markdown', { type: 'json', schema: SCHEMA, prompt: 'The page title' }, 'summary'],
    });
    expect(document.json).toEqual({ title: 'Title of https://fc.example/one' });
    expect(document.summary).toBe('A short summary of Title of https://fc.example/one.');
    expect(document.markdown).toContain('# Title of https://fc.example/one');
    expect(document.warning).toBeUndefined();
    const asked = model.requests.filter((r) =>
      JSON.stringify(r.body.messages).includes('https://fc.example/one'),
    );
    expect(
      asked.find((r) => r.body.response_format?.type === 'json_schema')!.body.response_format!.json_schema!
        .schema,
    ).toEqual(SCHEMA);
    expect(JSON.stringify(asked.map((r) => r.body.messages))).toContain('The page title');
    expect(JSON.stringify(document)).not.toContain(KEY);
  });

  it('v2: a prompt without a schema asks for any JSON object', async () => {
    const document = await firecrawl.scrape('https://fc.example/prompt-only', {
      formats: [{ type: 'json', prompt: 'The page title as {title}' }],
    });
    expect(document.json).toEqual({ title: 'Title of https://fc.example/prompt-only' });
  });

  it('v1: scrapeUrl with formats ["json"] and jsonOptions answers data.json', async () => {
    const scraped = await firecrawl.v1.scrapeUrl('https://fc.example/v1', {
      formats: ['json', 'markdown'], // The v1 types say zod; the SDK sends a JSON Schema as it is.
      jsonOptions: { schema: SCHEMA as never, prompt: 'The page title' },
    });
    expect(scraped.success).toBe(true);
    expect((scraped as { json?: unknown }).json).toEqual({ title: 'Title of https://fc.example/v1' });
    expect((scraped as { markdown?: string }).markdown).toContain('Title of');
  });

  it('v2: a batch scrape gives every page its json and summary', async () => {
    const urls = Array.from({ length: 12 }, (_, i) => `https://fc.example/batch/${i}`);
    const job = await firecrawl.batchScrape(urls, {
      options: { formats: [{ type: 'json', schema: SCHEMA }, 'summary'] },
      pollInterval: 0.2,
      timeout: 60,
    });
    expect(job.status).toBe('completed');
    expect(job.data).toHaveLength(12);
    const byUrl = new Map(job.data.map((d) => [d.metadata?.sourceURL, d]));
    for (const url of urls) {
      expect(byUrl.get(url)?.json).toEqual({ title: `Title of ${url}` });
      expect(byUrl.get(url)?.summary).toBe(`A short summary of Title of ${url}.`);
    }
  });

  it('keeps the page when the model answers against the schema: json null, the reason in warning', async () => {
    const strict = { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] };
    const document = await firecrawl.scrape('https://fc.example/breaks', {
      formats: ['markdown', { type: 'json', schema: strict }],
    });
    expect(document.markdown).toContain('Title of https://fc.example/breaks');
    expect(document.json).toBeNull();
    expect(document.warning).toMatch(/^json: llm_failed: [\s\S]*price/);
  });

  it('answers a schema that is not JSON Schema, and a prompt over the limit, in Firecrawl’s error shape', async () => {
    const bad = await sdkError(
      firecrawl.scrape('https://fc.example/bad', {
        formats: [{ type: 'json', schema: { type: 'nonsense' } }],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('invalid_json_schema');
    expect(bad.message).toContain('`formats[0]`');
    const long = await sdkError(
      firecrawl.scrape('https://fc.example/long', { formats: [{ type: 'json', prompt: 'p'.repeat(5000) }] }),
    );
    expect(long.status).toBe(400);
    expect(long.code).toBe('prompt_too_large');
    // The v1 client throws its own error class, with the status and Firecrawl's `error` text.
    const v1 = (await firecrawl.v1
      .scrapeUrl('https://fc.example/v1-bad', {
        formats: ['json'],
        jsonOptions: { schema: { type: 'nonsense' } as never },
      })
      .catch((e: unknown) => e)) as { statusCode?: number; message: string };
    expect(v1.statusCode).toBe(400);
    expect(v1.message).toMatch(/`jsonOptions`: .*schema/i);
  });

  it('refuses json and summary clearly when the server has no model', async () => {
    const bare = new Firecrawl({
      apiKey: 'fc-unused',
      apiUrl: `${withoutModel.url}/firecrawl`,
      maxRetries: 1,
    });
    const json = await sdkError(
      bare.scrape('https://fc.example/none', { formats: [{ type: 'json', schema: SCHEMA }] }),
    );
    expect(json.status).toBe(400);
    expect(json.code).toBe('llm_not_configured');
    expect(json.message).toMatch(/`formats\[0\]`.*need a model endpoint.*DISTILL_LLM_URL/);
    const response = await fetch(`${withoutModel.url}/firecrawl/v2/scrape`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://fc.example/none', formats: ['summary'] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      success: false,
      code: 'llm_not_configured',
      error: expect.stringContaining('DISTILL_LLM_URL'),
    });
  });
});
