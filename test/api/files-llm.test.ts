import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DistillClient, type DistillApiError } from '../../src/client/index.js';
import { eventLogOf, getJson, startApp } from '../helpers/app-server.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';

const SCHEMA = {
  type: 'object',
  properties: { title: { type: 'string' } },
  required: ['title'],
  additionalProperties: false,
};

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
    DISTILL_EXTRACT_THREADS: '1',
    DISTILL_LLM_URL: model.url,
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
  markdown: string | null;
  json?: unknown;
  summary?: string | null;
  llm?: {
    model: string;
    tokensIn: number;
    tokensOut: number;
    calls: number;
    errors?: Array<{ part: string; code: string }>;
  };
  chunks?: Array<{ text: string; tokens: number }>;
}

const NOTES = '# Title of uploaded-notes\n\nThe harbour opens at dawn and the ferries leave every hour.\n';

describe('POST /v1/files with the model formats', () => {
  it('runs json, summary and chunks on an uploaded file as for a URL', async () => {
    const base = await start();
    const client = new DistillClient({ baseUrl: base });
    const submitted = await client.uploadFile(new TextEncoder().encode(NOTES), {
      fileName: 'notes.md',
      contentType: 'text/markdown',
      options: {
        formats: ['markdown', { type: 'json', schema: SCHEMA, prompt: 'The title' }, 'summary', 'chunks'],
      },
    });
    expect(submitted.job).toMatchObject({ status: 'completed', total: 1, counts: { succeeded: 1 } });
    const results = (await getJson(`${base}/v1/jobs/${submitted.job.id}/results`)).body.items as Result[];
    expect(results).toHaveLength(1);
    const [result] = results;
    expect(result!.json).toEqual({ title: 'Title of uploaded-notes' });
    expect(result!.summary).toBe('A short summary of Title of uploaded-notes.');
    expect(result!.llm).toMatchObject({ model: 'schema-model', calls: 2, tokensIn: 200, tokensOut: 20 });
    expect(result!.chunks?.[0]?.text).toContain('The harbour opens at dawn');
    // The model saw the file's Markdown.
    expect(
      model.requests.map((r) => r.body.messages.find((m) => m.role === 'user')?.content).join('\n'),
    ).toContain('The harbour opens at dawn');
    const job = await getJson(`${base}/v1/jobs/${submitted.job.id}`);
    expect(job.body.llmUsage).toEqual({ tokensIn: 200, tokensOut: 20, items: 1 });
    const extracted = (await eventLogOf(base, submitted.job.id)).find(
      (e) => e.type === 'document.extracted',
    ) as unknown as { data: { llm: unknown; chunks: { count: number } } };
    expect(extracted.data.llm).toMatchObject({ json: 'ok', summary: 'ok' });
    expect(extracted.data.chunks.count).toBeGreaterThanOrEqual(1);
  });

  it('takes summary from the query of a raw body, and keeps the document when the model fails', async () => {
    const base = await start({ DISTILL_LLM_MODEL: 'busy-model' });
    const response = await fetch(`${base}/v1/files?name=notes.txt&formats=text,summary`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: NOTES,
    });
    expect(response.status).toBe(202);
    const { job } = (await response.json()) as { job: { id: string } };
    const [result] = (await getJson(`${base}/v1/jobs/${job.id}/results`)).body.items as Array<
      Result & { text: string }
    >;
    expect(result!.text).toContain('The harbour opens at dawn');
    expect(result!.llm?.errors).toMatchObject([{ part: 'summary', code: 'llm_failed' }]);
  });

  it('refuses json without a schema, and a malformed options field, with 400 and no job', async () => {
    const base = await start();
    const client = new DistillClient({ baseUrl: base });
    const noSchema = await client
      .uploadFile(new TextEncoder().encode(NOTES), { fileName: 'a.md', formats: ['json'] })
      .catch((e: unknown) => e);
    expect(noSchema).toMatchObject({ status: 400, code: 'invalid_json_schema' });
    const form = new FormData();
    form.append('options', '{"formats": ["markdown"');
    form.append('file', new Blob([NOTES], { type: 'text/markdown' }), 'a.md');
    const malformed = await fetch(`${base}/v1/files`, { method: 'POST', body: form });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'validation_failed' });
    const unknown = new FormData();
    unknown.append('file', new Blob([NOTES], { type: 'text/markdown' }), 'a.md');
    unknown.append('options', JSON.stringify({ formats: ['markdown'], render: 'always' }));
    const refused = await fetch(`${base}/v1/files`, { method: 'POST', body: unknown });
    expect(refused.status).toBe(400);
    expect(((await getJson(`${base}/v1/jobs`)).body.items as unknown[]).length).toBe(0);
    expect((noSchema as DistillApiError).problem?.code).toBe('invalid_json_schema');
  });
});
