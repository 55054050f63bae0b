import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DistillApiError, type DistillClient } from '../../client/index.js';
import type { ChunkView, DocumentField, DocumentView, SearchHitView } from '../../client/types.js';

/** Name and version the server reports in `initialize`. */
export const MCP_SERVER_INFO = { name: 'distill', version: '0.1.0' } as const;

/** Longest Markdown or text a tool returns by default, in characters (`maxChars` changes it). */
const DEFAULT_MAX_CHARS = 50_000;
/** Longest `maxChars` a caller may ask for. */
const MAX_MAX_CHARS = 1_000_000;

/**
 * What a tool returns a document as: its Markdown, its text, or its chunks (issue 18: pieces of the
 * Markdown within a token budget, with the heading path of each, cut by the API with the same
 * sizes and ids as `GET /v1/documents/:id/chunks`).
 */
const CONTENT_FORMATS = ['markdown', 'text', 'chunks'] as const;
type ContentFormat = (typeof CONTENT_FORMATS)[number];

/** Chunk sizes a tool passes on; the API checks their ranges (`invalid_chunk_settings`). */
const chunkTokens = z
  .number()
  .int()
  .optional()
  .describe('format chunks: token budget of one chunk, 32..8192 (default 512, or the job’s)');
const chunkOverlap = z
  .number()
  .int()
  .optional()
  .describe('format chunks: tokens repeated from the end of one chunk, 0..chunkTokens/2 (default 64)');

const maxChars = z
  .number()
  .int()
  .min(100)
  .max(MAX_MAX_CHARS)
  .optional()
  .describe(`Cut the content after this many characters (default ${DEFAULT_MAX_CHARS})`);
const format = z
  .enum(CONTENT_FORMATS)
  .optional()
  .describe(
    'What to return the content as (default markdown); chunks: retrieval-sized pieces with their headings and ids',
  );
const jobId = z.string().min(1).max(128).describe('A job id, as submit_batch returned it');

/** A tool's failure as an MCP tool error carrying distill's stable code (the API's problem code). */
function toolError(error: unknown): CallToolResult {
  if (error instanceof DistillApiError) {
    const { code, status, detail } = error.problem;
    const extra = Object.fromEntries(
      Object.entries(error.problem).filter(([key]) => ['reason', 'errors', 'jobId', 'url'].includes(key)),
    );
    return {
      isError: true,
      content: [{ type: 'text', text: `${code}: ${detail ?? error.message}` }],
      structuredContent: { error: { code, status, detail: detail ?? error.message, ...extra } },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    isError: true,
    content: [{ type: 'text', text: `unavailable: the distill API could not be reached (${message})` }],
    structuredContent: { error: { code: 'unavailable', detail: message } },
  };
}

async function run(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (error) {
    return toolError(error);
  }
}

/** The content of a document as the tool returns it, cut at `limit` characters. */
function documentText(
  document: Partial<DocumentView>,
  as: ContentFormat,
  limit: number,
): { text: string; isTruncated: boolean } {
  const body = (as === 'markdown' ? document.markdown : document.text) ?? document.text ?? '';
  const isTruncated = body.length > limit;
  return {
    text: isTruncated ? `${body.slice(0, limit)}\n\n[… cut at ${limit} of ${body.length} characters]` : body,
    isTruncated,
  };
}

/**
 * A document's chunks as the tool returns them: each with a line that names its index, heading
 * path, tokens and id, as many whole chunks as fit in `limit` characters (at least one).
 */
function chunksText(
  chunks: readonly ChunkView[],
  limit: number,
): { text: string; shown: ChunkView[]; isTruncated: boolean } {
  const shown: ChunkView[] = [];
  let text = '';
  for (const chunk of chunks) {
    const part = `[chunk ${chunk.index}${chunk.headings.length > 0 ? ` · ${chunk.headings.join(' > ')}` : ''} · ${chunk.tokens} tokens · ${chunk.id}]\n${chunk.text}\n\n`;
    if (shown.length > 0 && text.length + part.length > limit) break;
    shown.push(chunk);
    text += part;
  }
  const isTruncated = shown.length < chunks.length;
  if (isTruncated)
    text += `[… ${chunks.length - shown.length} more of ${chunks.length} chunks: raise maxChars, or read GET /v1/documents/{id}/chunks]`;
  else if (chunks.length === 0) text = 'No chunks: the document has no Markdown.';
  return { text: text.trimEnd(), shown, isTruncated };
}

/** Chunk sizes of a tool's input, as the client takes them. */
function chunkSizes(input: { chunkTokens?: number | undefined; chunkOverlap?: number | undefined }): {
  chunkTokens?: number;
  chunkOverlap?: number;
} {
  return {
    ...(input.chunkTokens !== undefined ? { chunkTokens: input.chunkTokens } : {}),
    ...(input.chunkOverlap !== undefined ? { chunkOverlap: input.chunkOverlap } : {}),
  };
}

function documentHeader(document: Partial<DocumentView>): string {
  return [
    `# ${document.title ?? document.url ?? ''}`,
    `url: ${document.url ?? ''}`,
    `documentId: ${document.id ?? ''}`,
    '',
  ].join('\n');
}

/** A document's metadata without its bodies, for `structuredContent`. */
function documentMeta(document: Partial<DocumentView>): Record<string, unknown> {
  const { text: _text, markdown: _markdown, html: _html, links: _links, ...meta } = document;
  return meta;
}

/** A snippet with its matches in **bold**, for the text a model reads. */
function boldMatches(hit: SearchHitView): string {
  let out = '';
  let at = 0;
  for (const [start, end] of hit.highlights) {
    out += `${hit.snippet.slice(at, start)}**${hit.snippet.slice(start, end)}**`;
    at = end;
  }
  return out + hit.snippet.slice(at);
}

/**
 * An MCP server whose tools are distill's API, called through `client`: over stdio the client
 * talks to a distill server by HTTP; at `/mcp` it talks to the API it is mounted on, in process.
 * Either way every call goes through the API's own validation, keys, tenants and limits.
 */
export function createMcpServer(client: DistillClient): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions:
      'distill turns links into clean documents. extract_url fetches one page and returns its Markdown; submit_batch ' +
      'starts a job of many URLs, job_status and job_results follow it; search_documents finds stored documents by ' +
      'their words; get_document reads one in full. format "chunks" returns retrieval-sized pieces with their heading path and ids.',
  });

  /** A document's chunks, cut by the API (`GET /v1/documents/:id/chunks`) with the input's sizes. */
  async function chunksResult(
    document: Partial<DocumentView>,
    input: {
      chunkTokens?: number | undefined;
      chunkOverlap?: number | undefined;
      maxChars?: number | undefined;
    },
  ): Promise<CallToolResult> {
    const { chunks } = await client.documentChunks(document.id ?? '', chunkSizes(input));
    const { text, shown, isTruncated } = chunksText(chunks, input.maxChars ?? DEFAULT_MAX_CHARS);
    return {
      content: [{ type: 'text', text: `${documentHeader(document)}\n${text}` }],
      structuredContent: {
        document: documentMeta(document),
        chunks: shown,
        chunkCount: chunks.length,
        isTruncated,
      },
    };
  }

  server.registerTool(
    'extract_url',
    {
      title: 'Extract one URL',
      description:
        'Fetch one web page, PDF or DOCX and return its main content as Markdown (or text). Reuses a document fetched within maxAge seconds.',
      inputSchema: {
        url: z.string().min(1).max(8192).describe('An http(s) URL'),
        format,
        maxAge: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Reuse a stored document younger than this many seconds'),
        maxChars,
        chunkTokens,
        chunkOverlap,
      },
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    (input) =>
      run(async () => {
        const as = input.format ?? 'markdown';
        // Text always: search indexes it (a document stored without text is found by its title only).
        const formats: ('text' | 'markdown')[] = as === 'text' ? ['text'] : ['text', 'markdown'];
        const document = await client.extract(input.url, {
          formats,
          ...(input.maxAge !== undefined ? { maxAge: input.maxAge } : {}),
        });
        if (as === 'chunks') return chunksResult(document, input);
        const { text, isTruncated } = documentText(document, as, input.maxChars ?? DEFAULT_MAX_CHARS);
        return {
          content: [{ type: 'text', text: `${documentHeader(document)}\n${text}` }],
          structuredContent: { document: documentMeta(document), isTruncated },
        };
      }),
  );

  server.registerTool(
    'submit_batch',
    {
      title: 'Submit a batch of URLs',
      description:
        'Start a job that extracts many URLs in the background; returns the job id at once. Follow it with job_status, read it with job_results.',
      inputSchema: {
        urls: z
          .array(z.string().min(1).max(8192))
          .min(1)
          .max(1000)
          .describe('http(s) URLs, at most 1,000 per call'),
        maxAge: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Reuse stored documents younger than this many seconds'),
        chunks: z
          .boolean()
          .optional()
          .describe(
            'Also cut each document into chunks (the job’s results carry them; job_results with format chunks)',
          ),
        chunkTokens,
        chunkOverlap,
      },
      annotations: { readOnlyHint: false, openWorldHint: true },
    },
    (input) =>
      run(async () => {
        const { job, submission } = await client.submit(input.urls, {
          ...(input.maxAge !== undefined ? { maxAge: input.maxAge } : {}),
          ...(input.chunks === true ? { formats: ['text', 'markdown', 'chunks'] } : {}),
          ...chunkSizes(input),
        });
        return {
          content: [
            {
              type: 'text',
              text: `Job ${job.id}: ${job.status}, ${submission.accepted} URLs accepted, ${submission.invalid.length} invalid.`,
            },
          ],
          structuredContent: { job, submission },
        };
      }),
  );

  server.registerTool(
    'job_status',
    {
      title: 'Job status',
      description:
        'The status of a job and the counts of its URLs (queued, running, succeeded, failed, cancelled).',
      inputSchema: { jobId },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        const job = await client.getJob(input.jobId);
        const c = job.counts;
        return {
          content: [
            {
              type: 'text',
              text: `Job ${job.id}: ${job.status}, ${Math.round(job.progress * 100)}% (succeeded ${c.succeeded}, failed ${c.failed}, running ${c.running}, queued ${c.queued}, cancelled ${c.cancelled} of ${job.total})`,
            },
          ],
          structuredContent: { job },
        };
      }),
  );

  server.registerTool(
    'job_results',
    {
      title: 'Job results',
      description:
        'One page of the documents of a job’s succeeded URLs, in submission order: their title, URL and Markdown (or text).',
      inputSchema: {
        jobId,
        format,
        limit: z.number().int().min(1).max(50).optional().describe('Documents per page (default 10)'),
        cursor: z.string().min(1).max(512).optional().describe('nextCursor of the page before'),
        maxChars: maxChars.describe('Cut each document after this many characters (default 5,000)'),
        chunkTokens,
        chunkOverlap,
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        const as = input.format ?? 'markdown';
        const fields: DocumentField[] = [
          'id',
          'url',
          'title',
          'wordCount',
          as === 'chunks' ? 'markdown' : as,
        ];
        const page = await client.listResults(input.jobId, {
          limit: input.limit ?? 10,
          fields,
          ...(input.cursor ? { cursor: input.cursor } : {}),
        });
        const limit = input.maxChars ?? 5000;
        const sizes = chunkSizes(input);
        const chunksOfItems: ChunkView[][] = [];
        const parts: string[] = [];
        for (const document of page.items) {
          if (as !== 'chunks') {
            parts.push(`${documentHeader(document)}\n${documentText(document, as, limit).text}`);
            continue;
          }
          // A job that asked for chunks has them with its results, cut with its sizes; other sizes are asked of the API.
          const chunks =
            document.chunks !== undefined && Object.keys(sizes).length === 0
              ? document.chunks
              : (await client.documentChunks(document.id ?? '', sizes)).chunks;
          const shown = chunksText(chunks, limit);
          chunksOfItems.push(shown.shown);
          parts.push(`${documentHeader(document)}\n${shown.text}`);
        }
        const tail = page.nextCursor
          ? `\n\nMore: call job_results again with cursor "${page.nextCursor}".`
          : '';
        return {
          content: [
            {
              type: 'text',
              text: (parts.length > 0 ? parts.join('\n\n---\n\n') : 'No documents yet.') + tail,
            },
          ],
          structuredContent: {
            items: page.items.map((document, i) => {
              const { chunks: _chunks, ...meta } = documentMeta(document);
              return as === 'chunks' ? { ...meta, chunks: chunksOfItems[i] } : meta;
            }),
            nextCursor: page.nextCursor,
          },
        };
      }),
  );

  server.registerTool(
    'get_document',
    {
      title: 'Get a document',
      description:
        'A stored document, by its id (from search_documents or job_results) or by its URL, as Markdown (or text).',
      inputSchema: {
        documentId: z.string().min(1).max(128).optional().describe('The document id'),
        url: z.string().min(1).max(8192).optional().describe('Or the URL it was extracted from'),
        format,
        maxChars,
        chunkTokens,
        chunkOverlap,
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        if ((input.documentId === undefined) === (input.url === undefined)) {
          return {
            isError: true,
            content: [{ type: 'text', text: 'validation_failed: give exactly one of documentId and url' }],
            structuredContent: { error: { code: 'validation_failed', status: 400 } },
          };
        }
        const document =
          input.documentId !== undefined
            ? await client.getDocument(input.documentId)
            : await client.getDocumentByUrl(input.url!);
        if (input.format === 'chunks') return chunksResult(document, input);
        const { text, isTruncated } = documentText(
          document,
          input.format ?? 'markdown',
          input.maxChars ?? DEFAULT_MAX_CHARS,
        );
        return {
          content: [{ type: 'text', text: `${documentHeader(document)}\n${text}` }],
          structuredContent: { document: documentMeta(document), isTruncated },
        };
      }),
  );

  server.registerTool(
    'search_documents',
    {
      title: 'Search documents',
      description:
        'Full-text search over the documents extracted so far (all of this key’s jobs, or one job), best first, with a snippet of each. ' +
        'Query syntax: words (all must match), "a phrase", a OR b, -excluded, prefix*.',
      inputSchema: {
        query: z.string().min(1).max(500).describe('The search query'),
        jobId: jobId.optional().describe('Only this job’s documents'),
        limit: z.number().int().min(1).max(50).optional().describe('Hits per page (default 10)'),
        cursor: z.string().min(1).max(512).optional().describe('nextCursor of the page before'),
      },
      annotations: { readOnlyHint: true },
    },
    (input) =>
      run(async () => {
        const page = await client.searchDocuments(input.query, {
          limit: input.limit ?? 10,
          ...(input.jobId ? { jobId: input.jobId } : {}),
          ...(input.cursor ? { cursor: input.cursor } : {}),
        });
        const lines = page.items.map(
          (hit, i) =>
            `${i + 1}. ${hit.title ?? hit.url}\n   ${hit.url} (documentId ${hit.documentId})\n   ${boldMatches(hit)}`,
        );
        const tail = page.nextCursor
          ? `\n\nMore: call search_documents again with cursor "${page.nextCursor}".`
          : '';
        return {
          content: [
            { type: 'text', text: (lines.length > 0 ? lines.join('\n') : 'No document matches.') + tail },
          ],
          structuredContent: { items: page.items, nextCursor: page.nextCursor },
        };
      }),
  );

  server.registerTool(
    'map_site',
    {
      title: 'Map a site',
      description:
        'Lists the URLs of a site from its sitemaps, llms.txt and links, without extracting anything: a quick look before ' +
        'choosing what to submit_batch.',
      inputSchema: {
        url: z.string().min(1).max(8192).describe('The start page (http or https)'),
        search: z.string().min(1).max(500).optional().describe('Keep URLs containing every word of it'),
        limit: z.number().int().min(1).max(5000).optional().describe('Most URLs returned (default 500)'),
        includeSubdomains: z.boolean().optional().describe('Also keep the subdomains of the start host'),
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (input) =>
      run(async () => {
        const result = await client.map(input.url, {
          limit: input.limit ?? 500,
          ...(input.search !== undefined ? { search: input.search } : {}),
          ...(input.includeSubdomains !== undefined ? { includeSubdomains: input.includeSubdomains } : {}),
        });
        const lines = result.links.map((link) => `${link.url}${link.title ? ` (${link.title})` : ''}`);
        const notes = [
          ...(result.isPartial ? ['The time ran out: the list is partial.'] : []),
          ...result.warnings.map((warning) => `Warning ${warning.code}: ${warning.message}`),
        ];
        return {
          content: [
            { type: 'text', text: [`${result.count} URLs of ${result.url}:`, ...lines, ...notes].join('\n') },
          ],
          structuredContent: result,
        };
      }),
  );

  return server;
}
