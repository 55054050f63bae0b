/**
 * The API side of chunks, `json` and `summary` (issue 18): the JSON schemas of their options and
 * results, and the checks that JSON Schema cannot express, each a 400 with its own code.
 */
import type { JobOptionsInput as WireJobOptions } from '../client/types.js';
import { CHUNK_LIMITS, checkChunkSettings } from '../extract/index.js';
import type { DocumentFormat, JobOptionsInput, LlmJobSettings } from '../jobs/index.js';
import { checkExtractionInput, MAX_PROMPT_CHARS } from '../llm/index.js';
import { ApiError } from './api-error.js';

export const FORMAT_NAMES = ['text', 'markdown', 'html', 'links', 'chunks', 'json', 'summary'] as const;

/** `options.formats`: names, or `{type: "json", schema, prompt}` / `{type: "summary", prompt}`. */
export const formatsInputSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 7,
  // if/then/else rather than anyOf: a bad entry gets the errors of its own kind only.
  items: {
    if: { type: 'string' },
    then: { type: 'string', enum: FORMAT_NAMES },
    else: {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['json', 'summary'] },
        schema: { type: 'object', description: 'JSON Schema of the answer (json; at most 32 KiB)' },
        prompt: {
          type: 'string',
          description: `What to extract, or how to summarise (at most ${MAX_PROMPT_CHARS} characters)`,
        },
      },
    },
  },
  description:
    'text, markdown, html, links, chunks, json, summary; json as {"type":"json","schema":{...},"prompt":"..."}',
} as const;

/** The options beside `formats` (their ranges are checked by `toAiOptions`, with stable codes). */
export const aiOptionsInputProperties = {
  chunkTokens: {
    type: 'integer',
    description: `Token budget of one chunk, ${CHUNK_LIMITS.minTokens}..${CHUNK_LIMITS.maxTokens} (default ${CHUNK_LIMITS.defaultTokens})`,
  },
  chunkOverlap: {
    type: 'integer',
    description: `Tokens repeated from one chunk's end, 0..chunkTokens/2 (default ${CHUNK_LIMITS.defaultOverlap})`,
  },
  llm: {
    type: 'object',
    additionalProperties: false,
    properties: {
      model: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        description: 'Model instead of DISTILL_LLM_MODEL',
      },
      maxInFlight: {
        type: 'integer',
        minimum: 1,
        maximum: 32,
        description: 'Calls of the job in flight at once, per worker (default 4)',
      },
      maxTokens: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000_000,
        description: 'Tokens in + out the whole job may use (default 1000000)',
      },
      maxRepairs: {
        type: 'integer',
        minimum: 0,
        maximum: 3,
        description: 'Repair turns after an answer that breaks the schema (default 1)',
      },
      maxRetries: {
        type: 'integer',
        minimum: 0,
        maximum: 10,
        description:
          "Transport retries of one model call (429, 5xx, timeouts); at most the server's DISTILL_LLM_MAX_RETRIES, which is the default",
      },
    },
  },
} as const;

/** The same options as a job reports them. */
export const aiOptionsViewProperties = {
  chunkTokens: { type: 'integer' },
  chunkOverlap: { type: 'integer' },
  json: {
    type: 'object',
    properties: { schema: { type: 'object', additionalProperties: true }, prompt: { type: 'string' } },
  },
  summaryPrompt: { type: 'string' },
  llm: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      maxInFlight: { type: 'integer' },
      maxTokens: { type: 'integer' },
      maxRepairs: { type: 'integer' },
      maxRetries: { type: 'integer' },
    },
  },
} as const;

export const llmUsageSchema = {
  type: 'object',
  description: 'Tokens the language model used for the job so far',
  properties: {
    tokensIn: { type: 'integer' },
    tokensOut: { type: 'integer' },
    calls: { type: 'integer' },
    items: { type: 'integer' },
  },
} as const;

export const chunkSchema = {
  type: 'object',
  required: ['id', 'index', 'text', 'headings', 'tokens'],
  properties: {
    id: { type: 'string' },
    index: { type: 'integer' },
    text: { type: 'string' },
    headings: { type: 'array', items: { type: 'string' } },
    tokens: { type: 'integer' },
  },
} as const;

/** What a result carries besides the document's fields. */
export const aiResultProperties = {
  chunks: { type: 'array', items: chunkSchema },
  json: {
    description:
      "The `json` format's answer (valid for the job's schema), null when the model failed (see llm.errors)",
  },
  summary: { type: ['string', 'null'] },
  llm: {
    type: 'object',
    properties: {
      model: { type: 'string' },
      tokensIn: { type: 'integer' },
      tokensOut: { type: 'integer' },
      calls: { type: 'integer' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          properties: { part: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  },
} as const;

/**
 * The domain's formats, chunking and LLM settings of wire options, checked: chunk settings out of
 * range (`invalid_chunk_settings`), a schema that does not compile (`invalid_json_schema`) or is
 * too large (`json_schema_too_large`), a prompt too long (`prompt_too_large`), `json` without a
 * schema (`invalid_json_schema`), and json or summary on a server with no model (`llm_not_configured`).
 */
export function toAiOptions(
  input: WireJobOptions | undefined,
  isLlmConfigured: boolean,
): Pick<JobOptionsInput, 'formats' | 'chunking' | 'llm'> {
  if (input === undefined) return {};
  const out: Pick<JobOptionsInput, 'formats' | 'chunking' | 'llm'> = {};
  let llm: Partial<LlmJobSettings> | undefined;
  if (input.formats !== undefined) {
    const names: DocumentFormat[] = [];
    for (const entry of input.formats) {
      if (typeof entry === 'string') {
        names.push(entry);
        continue;
      }
      names.push(entry.type);
      const problem = checkExtractionInput(
        entry.type === 'json' ? (entry.schema ?? {}) : undefined,
        entry.prompt,
      );
      if (problem)
        throw new ApiError(problem.code, problem.message, {
          extensions: { field: `/options/formats/${entry.type}` },
        });
      llm ??= {};
      if (entry.type === 'json') {
        llm.schema = entry.schema;
        if (entry.prompt !== undefined) llm.prompt = entry.prompt;
      } else if (entry.prompt !== undefined) llm.summaryPrompt = entry.prompt;
    }
    out.formats = [...new Set(names)];
    if (out.formats.includes('json') && llm?.schema === undefined) {
      throw new ApiError(
        'invalid_json_schema',
        'The `json` format needs a schema: {"type": "json", "schema": {...}}',
        { extensions: { field: '/options/formats' } },
      );
    }
    if (!isLlmConfigured && out.formats.some((f) => f === 'json' || f === 'summary')) {
      throw new ApiError(
        'llm_not_configured',
        'The json and summary formats need a model endpoint: this server has no DISTILL_LLM_URL',
      );
    }
  }
  if (input.chunkTokens !== undefined || input.chunkOverlap !== undefined) {
    const maxTokens = input.chunkTokens ?? CHUNK_LIMITS.defaultTokens;
    const overlapTokens =
      input.chunkOverlap ?? Math.min(CHUNK_LIMITS.defaultOverlap, Math.floor(maxTokens / 2));
    try {
      checkChunkSettings(maxTokens, overlapTokens);
    } catch (error) {
      throw new ApiError('invalid_chunk_settings', (error as Error).message, {
        extensions: {
          field:
            input.chunkTokens !== undefined && /chunkTokens/.test((error as Error).message)
              ? '/options/chunkTokens'
              : '/options/chunkOverlap',
        },
      });
    }
    out.chunking = { maxTokens, overlapTokens };
  }
  if (llm !== undefined || input.llm !== undefined) {
    out.llm = {
      ...llm,
      ...(input.llm?.model !== undefined ? { model: input.llm.model } : {}),
      maxInFlight: input.llm?.maxInFlight ?? 4,
      maxTokens: input.llm?.maxTokens ?? 1_000_000,
      maxRepairs: input.llm?.maxRepairs ?? 1,
      ...(input.llm?.maxRetries !== undefined ? { maxRetries: input.llm.maxRetries } : {}),
    };
  }
  return out;
}
