/**
 * The language-model step of an item (issue 18), after extraction and before storage: a job that
 * asks for `json` or `summary` gets them from the document's Markdown, cut to the context budget at
 * chunk boundaries (never mid-sentence). The item's document is kept whatever the model does: a
 * part that fails records `llm_failed` with its reason beside it. Per job and worker process, at
 * most `maxInFlight` items talk to the model at once; the job's token budget is checked before
 * each item (against the tokens stored for the job so far, so it holds across processes up to the
 * calls in flight).
 */
import { CHUNK_LIMITS, chunkMarkdown } from '../extract/index.js';
import {
  wantsLlm,
  type ChunkSettings,
  type ClaimedItem,
  type ItemLlmResult,
  type LlmJobSettings,
} from '../jobs/index.js';
import { silentLogger, toError, type Logger } from '../lib/index.js';
import type { TaskFunction } from './pool.js';

/** Tokens and calls of one request to the model. */
export interface LlmUsage {
  tokensIn: number;
  tokensOut: number;
  calls: number;
}

/** What the step needs of a model endpoint (`llm/OpenAiCompatibleLlm` has it). */
export interface DocumentLlm {
  modelOf(override: string | undefined): string;
  extractJson(input: {
    markdown: string;
    schema: object;
    prompt?: string | undefined;
    model?: string | undefined;
    maxRepairs: number;
    maxRetries?: number | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<{ value: unknown; usage: LlmUsage }>;
  summarize(input: {
    markdown: string;
    prompt?: string | undefined;
    model?: string | undefined;
    maxRetries?: number | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<{ summary: string; usage: LlmUsage }>;
}

export interface LlmStageOptions {
  /** The endpoint; without one, items of jobs that ask for json or summary record `llm_failed`. */
  llm: DocumentLlm | undefined;
  /** Tokens of Markdown the model is given at most (the rest of the document is left out). */
  contextTokens: number;
  /** Tokens the job has used so far (stored with its items). */
  usedTokens: (jobId: string) => Promise<number>;
  /** Observes each item's model use (metrics). */
  onUsage?: (usage: LlmUsage & { model: string; outcome: 'ok' | 'failed' }) => void;
}

/** Counts of the calls of one job in flight in this process and the items waiting for a turn. */
interface JobGate {
  active: number;
  waiting: Array<() => void>;
}

/** The item task with the model step after it. */
export function withLlmStage(task: TaskFunction, options: LlmStageOptions): TaskFunction {
  // One gate per job with calls in flight or waiting: removed when idle, so bounded by the items
  // this process holds (the pool's concurrency).
  const gates = new Map<string, JobGate>();
  const acquire = async (jobId: string, limit: number, signal: AbortSignal): Promise<() => void> => {
    let gate = gates.get(jobId);
    if (!gate) gates.set(jobId, (gate = { active: 0, waiting: [] }));
    const held = gate;
    if (held.active >= limit) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          held.waiting.splice(held.waiting.indexOf(go), 1);
          reject(toError(signal.reason));
        };
        const go = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        held.waiting.push(go);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } else held.active++;
    return () => {
      const next = held.waiting.shift();
      if (next)
        next(); // The turn passes on: `active` stays.
      else if (--held.active === 0) gates.delete(jobId);
    };
  };

  return async (item, context) => {
    let outcome = await task(item, context);
    if (outcome.kind === 'succeeded' && item.options.formats.includes('chunks'))
      outcome = { ...outcome, chunks: chunkCountOf(outcome.document.markdown ?? '', item.options.chunking) };
    if (outcome.kind !== 'succeeded' || !wantsLlm(item.options)) return outcome;
    const settings = item.options.llm ?? { maxInFlight: 4, maxTokens: 1_000_000, maxRepairs: 1 };
    const release = await acquire(item.jobId, settings.maxInFlight, context.signal);
    try {
      const llm = await runModel(
        item,
        outcome.document.markdown ?? '',
        settings,
        options,
        context.signal,
        context.log ?? silentLogger,
      );
      return { ...outcome, llm };
    } finally {
      release();
    }
  };
}

async function runModel(
  item: ClaimedItem,
  markdown: string,
  settings: LlmJobSettings,
  options: LlmStageOptions,
  signal: AbortSignal,
  log: Logger,
): Promise<ItemLlmResult> {
  const { llm } = options;
  const model = llm?.modelOf(settings.model) ?? settings.model ?? '';
  const result: ItemLlmResult = { model, tokensIn: 0, tokensOut: 0, calls: 0 };
  const fail = (part: 'json' | 'summary', message: string): void => {
    (result.errors ??= []).push({ part, code: 'llm_failed', message });
  };
  const parts = (['json', 'summary'] as const).filter((p) => item.options.formats.includes(p));
  if (!llm) {
    for (const part of parts) fail(part, 'No model endpoint is configured (DISTILL_LLM_URL)');
    return result;
  }
  const input = contextOf(markdown, options.contextTokens);
  for (const part of parts) {
    const used = (await options.usedTokens(item.jobId)) + result.tokensIn + result.tokensOut;
    if (used >= settings.maxTokens) {
      fail(part, `The job's token budget (${settings.maxTokens}) is used up`);
      continue;
    }
    try {
      if (part === 'json') {
        const answer = await llm.extractJson({
          markdown: input,
          schema: settings.schema ?? {},
          prompt: settings.prompt,
          model: settings.model,
          maxRepairs: settings.maxRepairs,
          maxRetries: settings.maxRetries,
          signal,
        });
        result.json = answer.value;
        add(result, answer.usage);
        options.onUsage?.({ ...answer.usage, model, outcome: 'ok' });
      } else {
        const answer = await llm.summarize({
          markdown: input,
          prompt: settings.summaryPrompt,
          model: settings.model,
          maxRetries: settings.maxRetries,
          signal,
        });
        result.summary = answer.summary;
        add(result, answer.usage);
        options.onUsage?.({ ...answer.usage, model, outcome: 'ok' });
      }
    } catch (error) {
      if (signal.aborted) throw error;
      const usage = (error as { usage?: LlmUsage }).usage;
      if (usage) add(result, usage);
      const message = toError(error).message.slice(0, 1000);
      log.info({ part, reason: message }, 'The model gave no usable answer; the item keeps its document');
      fail(part, message);
      options.onUsage?.({ ...(usage ?? { tokensIn: 0, tokensOut: 0, calls: 0 }), model, outcome: 'failed' });
    }
  }
  return result;
}

/**
 * The chunk count and tokens of `markdown` at the job's sizes, for `document.extracted` (ids need
 * the stored document's id; counts do not). About 4 ms of CPU per document (bench chunks).
 */
export function chunkCountOf(
  markdown: string,
  chunking: ChunkSettings | undefined,
): { count: number; tokens: number } {
  const chunks = chunkMarkdown(markdown, {
    documentId: 'count',
    maxTokens: chunking?.maxTokens ?? CHUNK_LIMITS.defaultTokens,
    overlapTokens: chunking?.overlapTokens ?? CHUNK_LIMITS.defaultOverlap,
  });
  return { count: chunks.length, tokens: chunks.reduce((sum, chunk) => sum + chunk.tokens, 0) };
}

/** The Markdown the model sees: whole chunks from the start while they fit in `contextTokens`. */
export function contextOf(markdown: string, contextTokens: number): string {
  const chunks = chunkMarkdown(markdown, {
    documentId: 'context',
    maxTokens: Math.min(1024, contextTokens),
    overlapTokens: 0,
  });
  let tokens = 0;
  const kept: string[] = [];
  for (const chunk of chunks) {
    if (tokens + chunk.tokens > contextTokens) break;
    kept.push(chunk.text);
    tokens += chunk.tokens + 1;
  }
  return kept.join('\n\n');
}

function add(result: ItemLlmResult, usage: LlmUsage): void {
  result.tokensIn += usage.tokensIn;
  result.tokensOut += usage.tokensOut;
  result.calls += usage.calls;
}
