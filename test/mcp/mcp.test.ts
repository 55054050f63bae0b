/**
 * The MCP server (issue 18) driven by the SDK's own Client: over Streamable HTTP at `/mcp` of a
 * real server, and over stdio by spawning the real `distill mcp` against it. Tools list and call,
 * tool errors with distill's codes, input validation, the DNS rebinding check, keys and tenants.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import type { App } from '../../src/app/index.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'test/e2e/fixtures/distill.ts'];

const PAGE = (n: string): string =>
  `<!doctype html><html lang="en"><head><title>Narwhal article ${n}</title></head><body><article><h1>Narwhal article ${n}</h1>
  <p>The narwhal is a whale with a long tusk. This article number ${n} describes where narwhals live and what they eat,
  with enough words to count as the main content of the page.</p><p>A second paragraph about arctic waters.</p></article></body></html>`;

const TOOLS = [
  'extract_url',
  'submit_batch',
  'job_status',
  'job_results',
  'get_document',
  'search_documents',
  'map_site',
];

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

describe('distill MCP server', () => {
  let corpus: CorpusServer;
  let testApp: TestApp | undefined;
  let dir: string;
  let app: App;
  let http: Client;

  beforeAll(async () => {
    corpus = await startCorpusServer({
      hosts: 1,
      handler: (path) =>
        path === '/hub'
          ? {
              body: '<!doctype html><html><body><nav><a href="/a/5">Five</a> <a href="/a/6">Six</a> <a href="http://elsewhere.test/x">Away</a></nav></body></html>',
            }
          : { body: PAGE(path.split('/')[2] ?? '0') },
    });
    testApp = await startFetchingApp(
      { DISTILL_FETCH_ALLOW: '127.0.0.1', DISTILL_EXTRACT_THREADS: '1' },
      { prefix: 'distill-mcp-' },
    );
    ({ app, dir } = testApp);
    http = new Client({ name: 'distill-test', version: '1.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${app.url!}/mcp`)));
  }, 60_000);

  afterAll(async () => {
    await http?.close();
    await testApp?.close();
    await corpus?.close();
  });

  it('lists its tools with JSON schemas of their inputs, and answers ping', async () => {
    const { tools } = await http.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    const extract = tools.find((t) => t.name === 'extract_url')!;
    expect(extract.inputSchema).toMatchObject({
      type: 'object',
      required: ['url'],
      properties: { url: { type: 'string' } },
    });
    await expect(http.ping()).resolves.toEqual({});
  });

  it('maps a site: the start page and the URLs it links to on its host', async () => {
    const mapped = await call(http, 'map_site', { url: `${corpus.origins[0]}/hub` });
    expect(mapped.isError).toBeFalsy();
    const urls = (mapped.structuredContent as { links: { url: string }[] }).links
      .map((link) => link.url)
      .sort();
    expect(urls).toEqual([
      `${corpus.origins[0]}/a/5`,
      `${corpus.origins[0]}/a/6`,
      `${corpus.origins[0]}/hub`,
    ]);
    expect(textOf(mapped)).toContain(`${corpus.origins[0]}/a/5 (Five)`);
    const refused = await call(http, 'map_site', { url: 'ftp://example.com/' });
    expect(refused.isError).toBe(true);
  });

  it('extracts a URL, runs a batch, reports it, pages its results, searches and reads its documents', async () => {
    const extracted = await call(http, 'extract_url', { url: `${corpus.origins[0]}/a/1` });
    expect(extracted.isError).toBeFalsy();
    expect(textOf(extracted)).toMatch(/^# Narwhal article 1\n/);
    expect(textOf(extracted)).toContain('The narwhal is a whale with a long tusk');

    const submitted = await call(http, 'submit_batch', {
      urls: [2, 3, 4].map((n) => `${corpus.origins[0]}/a/${n}`),
    });
    const jobId = (submitted.structuredContent as { job: { id: string } }).job.id;
    let status: CallToolResult;
    const deadline = Date.now() + 30_000;
    do {
      status = await call(http, 'job_status', { jobId });
      if ((status.structuredContent as { job: { status: string } }).job.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(textOf(status)).toContain(`Job ${jobId}: completed, 100% (succeeded 3`);

    const first = await call(http, 'job_results', { jobId, limit: 2 });
    const page = first.structuredContent as { items: { id: string; url: string }[]; nextCursor: string };
    expect(page.items).toHaveLength(2);
    expect(textOf(first)).toContain('Narwhal article 2');
    const rest = await call(http, 'job_results', { jobId, cursor: page.nextCursor });
    expect((rest.structuredContent as { items: unknown[]; nextCursor: null }).nextCursor).toBeNull();

    const found = await call(http, 'search_documents', { query: 'tusk narwhal', jobId });
    const hits = (found.structuredContent as { items: { documentId: string; url: string }[] }).items;
    expect(hits.map((h) => h.url).sort()).toEqual([2, 3, 4].map((n) => `${corpus.origins[0]}/a/${n}`));
    expect(textOf(found)).toContain('**tusk**');
    const everywhere = await call(http, 'search_documents', { query: 'narwhal' });
    expect((everywhere.structuredContent as { items: unknown[] }).items).toHaveLength(4);

    const document = await call(http, 'get_document', {
      documentId: hits[0]!.documentId,
      format: 'text',
      maxChars: 100,
    });
    expect(textOf(document)).toContain(`url: ${hits[0]!.url}`);
    expect(textOf(document)).toContain('[… cut at 100 of');
  }, 60_000);

  it('returns chunks from extract_url, job_results and get_document, with the API’s sizes and ids', async () => {
    type Chunk = { id: string; index: number; text: string; headings: string[]; tokens: number };
    const { tools } = await http.listTools();
    expect(tools.find((t) => t.name === 'extract_url')!.inputSchema.properties).toMatchObject({
      format: { enum: ['markdown', 'text', 'chunks'] },
      chunkTokens: { type: 'integer' },
    });
    const url = `${corpus.origins[0]}/a/1`;
    const extracted = await call(http, 'extract_url', {
      url,
      format: 'chunks',
      chunkTokens: 32,
      chunkOverlap: 0,
    });
    expect(extracted.isError).toBeFalsy();
    const result = extracted.structuredContent as {
      document: { id: string };
      chunks: Chunk[];
      chunkCount: number;
      isTruncated: boolean;
    };
    expect(result.chunks.length).toBeGreaterThan(1);
    expect(result.chunkCount).toBe(result.chunks.length);
    for (const chunk of result.chunks) expect(chunk.tokens).toBeLessThanOrEqual(32);
    expect(result.chunks[0]!.headings).toEqual(['Narwhal article 1']);
    expect(result.chunks[0]!.id).toMatch(new RegExp(`^${result.document.id}:0:[0-9a-f]{12}$`));
    expect(textOf(extracted)).toContain('[chunk 0 · Narwhal article 1 · ');
    // The same chunks as the REST route cuts.
    const rest = (await (
      await fetch(`${app.url!}/v1/documents/${result.document.id}/chunks?chunkTokens=32&chunkOverlap=0`)
    ).json()) as { chunks: Chunk[] };
    expect(result.chunks).toEqual(rest.chunks);
    // maxChars keeps whole chunks and says how many were left out.
    const cut = await call(http, 'get_document', {
      url,
      format: 'chunks',
      chunkTokens: 32,
      chunkOverlap: 0,
      maxChars: 100,
    });
    expect((cut.structuredContent as { chunks: Chunk[]; isTruncated: boolean }).chunks).toEqual(
      rest.chunks.slice(0, 1),
    );
    expect(textOf(cut)).toContain(`more of ${rest.chunks.length} chunks`);

    // A batch that asks for chunks: its results carry them, cut with its sizes.
    const submitted = await call(http, 'submit_batch', {
      urls: [2, 3].map((n) => `${corpus.origins[0]}/a/${n}`),
      chunks: true,
      chunkTokens: 48,
      chunkOverlap: 8,
    });
    const jobId = (submitted.structuredContent as { job: { id: string; options: Record<string, unknown> } })
      .job.id;
    expect(
      (submitted.structuredContent as { job: { options: Record<string, unknown> } }).job.options,
    ).toMatchObject({ chunkTokens: 48, chunkOverlap: 8 });
    const deadline = Date.now() + 30_000;
    while (
      ((await call(http, 'job_status', { jobId })).structuredContent as { job: { status: string } }).job
        .status !== 'completed'
    ) {
      if (Date.now() > deadline) throw new Error('the job did not complete');
      await new Promise((r) => setTimeout(r, 100));
    }
    const results = await call(http, 'job_results', { jobId, format: 'chunks' });
    const items = (results.structuredContent as { items: Array<{ url: string; chunks: Chunk[] }> }).items;
    expect(items.map((i) => i.url)).toEqual([2, 3].map((n) => `${corpus.origins[0]}/a/${n}`));
    const streamed = (await (await fetch(`${app.url!}/v1/jobs/${jobId}/chunks`)).text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Chunk & { seq: number });
    expect(items.flatMap((i) => i.chunks.map((c) => c.id))).toEqual(streamed.map((c) => c.id));
    for (const chunk of items.flatMap((i) => i.chunks)) expect(chunk.tokens).toBeLessThanOrEqual(48);
    expect(textOf(results)).toContain('[chunk 0 · Narwhal article 2 · ');

    const refused = await call(http, 'extract_url', { url, format: 'chunks', chunkTokens: 5 });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({
      error: { code: 'invalid_chunk_settings', status: 400 },
    });
  }, 60_000);

  it('answers bad calls with MCP tool errors that carry distill’s codes', async () => {
    const missing = await call(http, 'job_status', { jobId: 'no-such-job' });
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toMatchObject({ error: { code: 'job_not_found', status: 404 } });
    const badQuery = await call(http, 'search_documents', { query: '"unclosed' });
    expect(badQuery.structuredContent).toMatchObject({
      error: { code: 'invalid_search_query', reason: 'unbalanced_quote' },
    });
    const badUrl = await call(http, 'extract_url', { url: 'ftp://example.com/x' });
    expect(badUrl.isError).toBe(true);
    expect(textOf(badUrl)).toMatch(/^(no_valid_urls|invalid_url|validation_failed): /);
    const both = await call(http, 'get_document', {});
    expect(both.structuredContent).toMatchObject({ error: { code: 'validation_failed' } });
    // Input that breaks the tool's schema is refused by the SDK before the tool runs.
    const invalid = await call(http, 'submit_batch', { urls: 'not-a-list' });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toMatch(/invalid/i);
  });

  it('refuses requests whose Host or Origin is not loopback (DNS rebinding), and GET', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const post = (extra: Record<string, string>) =>
      fetch(`${app.url!}/mcp`, { method: 'POST', headers: { ...headers, ...extra }, body });
    expect((await post({})).status).toBe(200);
    expect((await post({ origin: 'http://localhost:5173' })).status).toBe(200);
    expect((await post({ origin: 'http://evil.test' })).status).toBe(403);
    const rebound = await new Promise<number>((resolve, reject) => {
      // fetch does not let a caller set Host: a raw request does, as a rebound browser's would arrive.
      const url = new URL(`${app.url!}/mcp`);
      void import('node:http').then(({ request }) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/mcp',
            method: 'POST',
            headers: { ...headers, host: 'evil.test' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    });
    expect(rebound).toBe(403);
    expect((await fetch(`${app.url!}/mcp`, { headers: { accept: 'text/event-stream' } })).status).toBe(405);
  });

  it('runs over stdio as `distill mcp`, a client of the API, and keeps to the key’s tenant', async () => {
    const stdio = new Client({ name: 'distill-test', version: '1.0.0' });
    const env = { ...process.env, DISTILL_SERVER: app.url!, DISTILL_API_KEY: '' } as Record<string, string>;
    await stdio.connect(
      new StdioClientTransport({ command: process.execPath, args: [...CLI, 'mcp'], env, stderr: 'inherit' }),
    );
    try {
      expect((await stdio.listTools()).tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
      const found = await call(stdio, 'search_documents', { query: 'arctic' });
      const hits = (found.structuredContent as { items: { documentId: string }[] }).items;
      expect(hits).toHaveLength(4);
      const missing = await call(stdio, 'job_status', { jobId: 'no-such-job' });
      expect(missing.structuredContent).toMatchObject({ error: { code: 'job_not_found' } });
    } finally {
      await stdio.close();
    }

    // The first key turns auth on: /mcp needs one, and a key of another tenant sees none of the default tenant's documents.
    const { stdout } = await run(process.execPath, [...CLI, 'keys', 'create', '--tenant', 'other'], {
      env: { ...process.env, DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}` },
    });
    const secret = /\b(dst_[\w-]+|[A-Za-z0-9_-]{32,})\b/.exec(stdout)?.[1];
    expect(secret).toBeDefined();
    // The API's key cache holds an answer for up to 5 s: wait until the server knows keys exist.
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${app.url!}/v1/jobs`)).status !== 401) {
      if (Date.now() > deadline) throw new Error('the API never asked for a key');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const anonymous = new Client({ name: 'distill-test', version: '1.0.0' });
    await expect(
      anonymous.connect(new StreamableHTTPClientTransport(new URL(`${app.url!}/mcp`))),
    ).rejects.toThrow(/401/);
    const keyed = new Client({ name: 'distill-test', version: '1.0.0' });
    await keyed.connect(
      new StreamableHTTPClientTransport(new URL(`${app.url!}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${secret!}` } },
      }),
    );
    try {
      const found = await call(keyed, 'search_documents', { query: 'narwhal' });
      expect(found.isError).toBeFalsy();
      expect((found.structuredContent as { items: unknown[] }).items).toEqual([]);
    } finally {
      await keyed.close();
    }
  }, 60_000);
});
