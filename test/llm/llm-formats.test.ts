import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventLogOf, getJson, postJson, startApp } from '../helpers/app-server.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { waitFor } from '../helpers/store.js';

const SCHEMA = {
  type: 'object',
  properties: { title: { type: 'string' } },
  required: ['title'],
  additionalProperties: false,
};
const KEY = 'sk-test-secret-key-1234567890';

let model: FakeOpenAi;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  model = await startFakeOpenAi();
  closers.push(() => model.close());
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function start(env: Record<string, string> = {}): Promise<string> {
  const app = await startApp({
    DISTILL_LLM_URL: model.url,
    DISTILL_LLM_API_KEY: KEY,
    DISTILL_LLM_MODEL: 'schema-model',
    // The model server is on loopback: the egress guard lets it through only with this entry.
    DISTILL_FETCH_ALLOW: '127.0.0.1',
    DISTILL_LLM_MAX_RETRIES: '0',
    ...env,
  });
  closers.push(app.close);
  return app.url;
}

interface Result {
  url: string;
  markdown: string | null;
  json?: unknown;
  summary?: string | null;
  llm?: {
    model: string;
    tokensIn: number;
    tokensOut: number;
    calls: number;
    errors?: Array<{ part: string; code: string; message: string }>;
  };
  chunks?: Array<{ id: string; text: string; tokens: number; headings: string[] }>;
}

/** Submits `urls` with `options`, waits for the job to complete, returns its id and results. */
async function run(
  base: string,
  urls: string[],
  options: Record<string, unknown>,
): Promise<{ jobId: string; results: Result[] }> {
  const submitted = await postJson(`${base}/v1/jobs`, { urls, options });
  expect(submitted.status).toBe(202);
  const jobId = (submitted.body.job as { id: string }).id;
  await waitFor(
    async () => (await getJson(`${base}/v1/jobs/${jobId}`)).body.status === 'completed',
    30_000,
    'job completed',
  );
  const results = (await getJson(`${base}/v1/jobs/${jobId}/results?limit=100`)).body.items as Result[];
  return { jobId, results };
}

const jsonFormat = (extra: Record<string, unknown> = {}) => ({
  type: 'json',
  schema: SCHEMA,
  prompt: 'The page title',
  ...extra,
});

describe('json format through an OpenAI-compatible endpoint', () => {
  it('uses structured outputs where the model has them, and keeps the key to the Authorization header', async () => {
    const base = await start();
    const { jobId, results } = await run(base, ['https://a.example/1'], {
      formats: ['markdown', jsonFormat()],
    });
    expect(results[0]!.json).toEqual({ title: 'Title of https://a.example/1' });
    expect(results[0]!.markdown).toContain('Title of');
    expect(results[0]!.llm).toMatchObject({ model: 'schema-model', tokensIn: 100, tokensOut: 10, calls: 1 });
    expect(model.requests[0]!.body.response_format?.type).toBe('json_schema');
    expect(model.requests[0]!.authorization).toBe(`Bearer ${KEY}`);
    const job = await getJson(`${base}/v1/jobs/${jobId}`);
    expect(job.body.llmUsage).toEqual({ tokensIn: 100, tokensOut: 10, items: 1 });
    expect((job.body.options as { json: unknown }).json).toEqual({
      schema: SCHEMA,
      prompt: 'The page title',
    });
    // The key is in no answer of the API and no event.
    const events = await eventLogOf(base, jobId);
    expect(JSON.stringify([job.body, results, events])).not.toContain(KEY);
    const extracted = events.find((e) => e.type === 'document.extracted') as unknown as {
      data: { llm: unknown };
    };
    expect(extracted.data.llm).toEqual({ tokensIn: 100, tokensOut: 10, json: 'ok' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/distill_llm_tokens_total\{direction="in"\} 100/);
  });

  it('falls back to a tool call for a tool-calling model, found once and remembered', async () => {
    const base = await start();
    const first = await run(base, ['https://t.example/1'], {
      formats: [jsonFormat()],
      llm: { model: 'tool-model' },
    });
    expect(first.results[0]!.json).toEqual({ title: 'Title of https://t.example/1' });
    const more = await run(base, ['https://t.example/2', 'https://t.example/3', 'https://t.example/4'], {
      formats: [jsonFormat()],
      llm: { model: 'tool-model' },
    });
    expect(more.results.map((r) => r.json)).toEqual(
      [2, 3, 4].map((n) => ({ title: `Title of https://t.example/${n}` })),
    );
    const modes = model.requests.map((r) => (r.body.tools ? 'tools' : r.body.response_format?.type));
    // One refused structured-outputs call at the first item; tools for every item after it.
    expect(modes).toEqual(['json_schema', 'tools', 'tools', 'tools', 'tools']);
  });

  it('falls back to JSON mode with the schema in the prompt for a model without structured outputs or tools', async () => {
    const base = await start();
    const { results } = await run(base, ['https://j.example/1', 'https://j.example/2'], {
      formats: [jsonFormat()],
      llm: { model: 'json-mode-model', maxInFlight: 1 },
    });
    expect(results.map((r) => r.json)).toEqual(
      [1, 2].map((n) => ({ title: `Title of https://j.example/${n}` })),
    );
    const modes = model.requests.map((r) => (r.body.tools ? 'tools' : r.body.response_format?.type));
    expect(modes).toEqual(['json_schema', 'tools', 'json_object', 'json_object']);
    const prompt = model.requests[2]!.body.messages.find((m) => m.role === 'user')!.content!;
    expect(prompt).toContain(JSON.stringify(SCHEMA));
  });

  it('repairs an answer that is not JSON twice, showing the model what was wrong', async () => {
    const base = await start();
    const { results } = await run(base, ['https://f.example/1'], {
      formats: [jsonFormat()],
      llm: { model: 'flaky-model', maxRepairs: 2 },
    });
    expect(results[0]!.json).toEqual({ title: 'Title of https://f.example/1' });
    expect(results[0]!.llm?.calls).toBe(3);
    const repair = model.requests[1]!.body.messages.at(-1)!;
    expect(repair.role).toBe('user');
    expect(repair.content).toMatch(/not JSON/);
  });

  it('gives up after the bounded repairs: the item keeps its document and records llm_failed', async () => {
    const base = await start();
    const { results } = await run(base, ['https://w.example/1'], {
      formats: ['markdown', jsonFormat()],
      llm: { model: 'wrong-model', maxRepairs: 1 },
    });
    expect(results[0]!.markdown).toContain('Title of https://w.example/1');
    expect(results[0]!.json).toBeNull();
    expect(results[0]!.llm?.errors).toEqual([
      { part: 'json', code: 'llm_failed', message: expect.stringMatching(/breaks the schema[\s\S]*title/) },
    ]);
    expect(model.requests).toHaveLength(2);
    expect(model.requests[1]!.body.messages.at(-1)!.content).toMatch(/must have required property 'title'/);
  });

  it('records llm_failed after a storm of 429s, having retried within its bound', async () => {
    const base = await start({ DISTILL_LLM_MAX_RETRIES: '2' });
    const { jobId, results } = await run(base, ['https://r.example/1'], {
      formats: [jsonFormat()],
      llm: { model: 'busy-model' },
    });
    expect(model.requests).toHaveLength(3);
    expect(results[0]!.llm?.errors?.[0]?.message).toMatch(/429.*rate limited/);
    const items = (await getJson(`${base}/v1/jobs/${jobId}/items`)).body.items as Array<{ state: string }>;
    expect(items[0]!.state).toBe('succeeded');
  });

  it("keeps to a job's own bound on retries, never above the server's", async () => {
    const base = await start({ DISTILL_LLM_MAX_RETRIES: '2' });
    const none = await run(base, ['https://r.example/none'], {
      formats: [jsonFormat()],
      llm: { model: 'busy-model', maxRetries: 0 },
    });
    expect(model.requests).toHaveLength(1);
    expect(none.results[0]!.llm?.errors?.[0]?.code).toBe('llm_failed');
    const job = await getJson(`${base}/v1/jobs/${none.jobId}`);
    expect((job.body.options as { llm: unknown }).llm).toMatchObject({ maxRetries: 0 });
    // Asking for more than the server allows gets the server's bound: 1 call + 2 retries.
    await run(base, ['https://r.example/more'], {
      formats: ['summary'],
      llm: { model: 'busy-model', maxRetries: 10 },
    });
    expect(model.requests).toHaveLength(4);
    const refused = await postJson(`${base}/v1/jobs`, {
      urls: ['https://x.example/'],
      options: { formats: ['summary'], llm: { maxRetries: 11 } },
    });
    expect(refused.status).toBe(400);
  });

  it('records llm_failed when the model does not answer in time', async () => {
    const base = await start({ DISTILL_LLM_TIMEOUT_MS: '1000' });
    const { results } = await run(base, ['https://s.example/1'], {
      formats: [jsonFormat()],
      llm: { model: 'slow-model' },
    });
    expect(results[0]!.llm?.errors?.[0]?.message).toMatch(/timeout/);
  });

  it('says how to allow a loopback model server that the egress guard refuses', async () => {
    const base = await start({ DISTILL_FETCH_ALLOW: '' });
    const { results } = await run(base, ['https://g.example/1'], { formats: [jsonFormat()] });
    expect(results[0]!.llm?.errors?.[0]?.message).toMatch(/blocked_address[\s\S]*DISTILL_FETCH_ALLOW/);
    expect(model.requests).toHaveLength(0);
  });

  it('runs a batch of 100 with at most 4 model calls in flight, every item ending once', async () => {
    // A model that takes 40 ms per answer, so that calls overlap when nothing holds them back.
    await model.close();
    closers.length = 0;
    model = await startFakeOpenAi({ delayMs: 40 });
    closers.push(() => model.close());
    const base = await start({ DISTILL_CONCURRENCY: '16' });
    const urls = Array.from({ length: 100 }, (_, i) => `https://b.example/${i}`);
    const { jobId, results } = await run(base, urls, { formats: [jsonFormat()], llm: { maxInFlight: 4 } });
    expect(model.maxInFlight()).toBeLessThanOrEqual(4);
    expect(model.maxInFlight()).toBeGreaterThanOrEqual(2);
    expect(model.requests).toHaveLength(100);
    expect(results).toHaveLength(100);
    expect(new Set(results.map((r) => (r.json as { title: string }).title)).size).toBe(100);
    const extracted = (await eventLogOf(base, jobId)).filter(
      (e) => e.type === 'document.extracted',
    ) as unknown as Array<{ data: { seq: number } }>;
    expect(extracted).toHaveLength(100);
    expect(new Set(extracted.map((e) => e.data.seq)).size).toBe(100);
    expect((await getJson(`${base}/v1/jobs/${jobId}`)).body.llmUsage).toEqual({
      tokensIn: 10_000,
      tokensOut: 1000,
      items: 100,
    });
  });

  it('writes a summary on the same machinery', async () => {
    const base = await start();
    const { results } = await run(base, ['https://m.example/1'], { formats: ['summary'] });
    expect(results[0]!.summary).toBe('A short summary of Title of https://m.example/1.');
    expect(model.requests[0]!.body.response_format).toBeUndefined();
  });
});

describe('bad input to the json, summary and chunks formats', () => {
  it('answers 400 with a stable code for each', async () => {
    const base = await start();
    const cases: Array<[unknown, string]> = [
      [{ formats: [{ type: 'json', schema: { type: 'nonsense' } }] }, 'invalid_json_schema'],
      [
        {
          formats: [
            {
              type: 'json',
              schema: {
                type: 'object',
                properties: Object.fromEntries(
                  Array.from({ length: 2000 }, (_, i) => [
                    `field${i}`,
                    { type: 'string', description: 'x'.repeat(10) },
                  ]),
                ),
              },
            },
          ],
        },
        'json_schema_too_large',
      ],
      [{ formats: [{ type: 'json', schema: SCHEMA, prompt: 'p'.repeat(4001) }] }, 'prompt_too_large'],
      [{ formats: ['json'] }, 'invalid_json_schema'],
      [{ formats: ['chunks'], chunkTokens: 10 }, 'invalid_chunk_settings'],
      [{ formats: ['chunks'], chunkTokens: 100, chunkOverlap: 60 }, 'invalid_chunk_settings'],
    ];
    for (const [options, code] of cases) {
      const answer = await postJson(`${base}/v1/jobs`, { urls: ['https://x.example/'], options });
      expect({ code: answer.body.code, status: answer.status }).toEqual({ code, status: 400 });
    }
  });

  it('refuses json and summary on a server without a model endpoint', async () => {
    const base = await start({ DISTILL_LLM_URL: '' });
    const answer = await postJson(`${base}/v1/jobs`, {
      urls: ['https://x.example/'],
      options: { formats: ['summary'] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('llm_not_configured');
  });
});
