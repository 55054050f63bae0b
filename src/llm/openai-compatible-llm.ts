/**
 * Schema-guided JSON and summaries through any OpenAI-compatible chat-completions endpoint, with
 * the official `openai` client (pinned at 6.49.0, the last line that runs on Node 20).
 *
 * How a model is asked for JSON is found once per endpoint and model and remembered (a bounded
 * map): structured outputs (`response_format: json_schema`) first, then a forced tool call whose
 * parameters are the schema, then JSON mode (`response_format: json_object`) with the schema in the
 * prompt. A 400 or 422 to a way of asking, or an answer without the tool call, moves to the next.
 * Every answer is validated with ajv; a bounded number of repair turns show the model its
 * validation errors. Transport retries (429 with Retry-After, 5xx, timeouts) are the client's own,
 * bounded by `maxRetries`. Calls go through `fetch`, which the caller builds on the
 * private-network guard. The API key is given to the client only: never logged, never in errors.
 */
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { describeErrors, parseJsonAnswer, validatorOf } from './json-answers.js';

/** How a model is asked for JSON. */
export type JsonMode = 'json_schema' | 'tools' | 'json_object';
const MODES: readonly JsonMode[] = ['json_schema', 'tools', 'json_object'];

/** Endpoint and model pairs whose JSON mode is remembered. */
const MAX_REMEMBERED_MODES = 256;

export interface OpenAiCompatibleLlmOptions {
  /** Base URL of the endpoint, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Model used when a job names none. */
  model: string;
  /** Time limit of one call, in milliseconds. */
  timeoutMs: number;
  /** Transport retries of one call (429, 5xx, timeouts), by the client. */
  maxRetries: number;
  /** The fetch the client uses: the caller's, built on the egress guard. */
  fetch?: typeof globalThis.fetch | undefined;
}

/** Tokens and calls one request used. */
export interface LlmUsage {
  tokensIn: number;
  tokensOut: number;
  calls: number;
}

/** An answer that never validated, or an endpoint that failed: `reason` says which. */
export class LlmAnswerError extends Error {
  override readonly name = 'LlmAnswerError';
  readonly usage: LlmUsage;
  constructor(message: string, usage: LlmUsage, options?: { cause?: unknown }) {
    super(message, options);
    this.usage = usage;
  }
}

const SYSTEM_JSON =
  'You extract structured data from a web page given as Markdown. Answer with JSON only, no prose.';
const SYSTEM_SUMMARY = 'You write short, factual abstracts of web pages given as Markdown.';
const TOOL_NAME = 'record_extraction';

/** One OpenAI-compatible endpoint. */
export class OpenAiCompatibleLlm {
  readonly #client: OpenAI;
  readonly #baseUrl: string;
  readonly #defaultModel: string;
  readonly #modes = new Map<string, JsonMode>();
  readonly #maxRetries: number;

  constructor(options: OpenAiCompatibleLlmOptions) {
    this.#baseUrl = options.baseUrl;
    this.#defaultModel = options.model;
    this.#maxRetries = options.maxRetries;
    this.#client = new OpenAI({
      baseURL: options.baseUrl,
      // Local servers take no key; the client insists on a string.
      apiKey: options.apiKey ?? 'none',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** The model a job's override leaves. */
  modelOf(override: string | undefined): string {
    return override ?? this.#defaultModel;
  }

  /** The remembered JSON mode of `model`, if it was found already. */
  rememberedMode(model: string): JsonMode | undefined {
    return this.#modes.get(`${this.#baseUrl} ${model}`);
  }

  /**
   * JSON matching `schema` from `markdown`. Throws `LlmAnswerError` when no answer validated after
   * `maxRepairs` repair turns, or when the endpoint failed.
   */
  async extractJson(input: {
    markdown: string;
    schema: object;
    prompt?: string | undefined;
    model?: string | undefined;
    maxRepairs: number;
    /** A job's own bound on transport retries: at most the endpoint's `maxRetries`. */
    maxRetries?: number | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<{ value: unknown; usage: LlmUsage; mode: JsonMode }> {
    const model = this.modelOf(input.model);
    const validate = validatorOf(input.schema);
    const usage: LlmUsage = { tokensIn: 0, tokensOut: 0, calls: 0 };
    const key = `${this.#baseUrl} ${model}`;
    const remembered = this.#modes.get(key);
    const modes = remembered ? [remembered] : MODES;
    const task = `${input.prompt ?? 'Extract the data that the JSON Schema describes.'}\n\nThe page:\n\n${input.markdown}`;
    let lastError: unknown;
    for (const mode of modes) {
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: SYSTEM_JSON },
        {
          role: 'user',
          content:
            mode === 'json_object'
              ? `${task}\n\nAnswer with one JSON object that matches this JSON Schema:\n${JSON.stringify(input.schema)}`
              : task,
        },
      ];
      let completion: ChatCompletion;
      try {
        completion = await this.#call(requestOf(mode, model, messages, input.schema), usage, input);
      } catch (error) {
        if (!remembered && isUnsupported(error)) {
          lastError = error;
          continue;
        }
        throw endpointError(error, usage);
      }
      let answer = answerOf(mode, completion);
      if (mode === 'tools' && answer === null && !remembered) continue; // The model ignored the tool: not a tool caller.
      this.#remember(key, mode);
      for (let repair = 0; ; repair++) {
        const parsed = parseJsonAnswer(answer ?? '');
        const problem = parsed.ok
          ? validate(parsed.value)
            ? null
            : `the JSON breaks the schema:\n${describeErrors(validate.errors)}`
          : parsed.message;
        if (problem === null && parsed.ok) return { value: parsed.value, usage, mode };
        if (repair >= input.maxRepairs) {
          throw new LlmAnswerError(
            `No valid answer after ${repair + 1} tries: ${problem}`.slice(0, 1000),
            usage,
          );
        }
        messages.push(assistantTurn(mode, completion), ...repairTurns(mode, completion, problem ?? ''));
        try {
          completion = await this.#call(requestOf(mode, model, messages, input.schema), usage, input);
        } catch (error) {
          throw endpointError(error, usage);
        }
        answer = answerOf(mode, completion);
      }
    }
    throw endpointError(lastError ?? new Error('The model answered no way of asking for JSON'), usage);
  }

  /** A short abstract of `markdown`. */
  async summarize(input: {
    markdown: string;
    prompt?: string | undefined;
    model?: string | undefined;
    maxRetries?: number | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<{ summary: string; usage: LlmUsage }> {
    const usage: LlmUsage = { tokensIn: 0, tokensOut: 0, calls: 0 };
    const instruction =
      input.prompt ??
      'Summarise this page in at most three sentences: what it is and what it says. Plain text, no Markdown.';
    try {
      const completion = await this.#call(
        {
          model: this.modelOf(input.model),
          messages: [
            { role: 'system', content: SYSTEM_SUMMARY },
            { role: 'user', content: `${instruction}\n\nThe page:\n\n${input.markdown}` },
          ],
        },
        usage,
        input,
      );
      const summary = completion.choices[0]?.message.content?.trim() ?? '';
      if (summary === '') throw new LlmAnswerError('The model answered an empty summary', usage);
      return { summary, usage };
    } catch (error) {
      throw error instanceof LlmAnswerError ? error : endpointError(error, usage);
    }
  }

  async #call(
    body: ChatCompletionCreateParamsNonStreaming,
    usage: LlmUsage,
    call: { signal?: AbortSignal | undefined; maxRetries?: number | undefined },
  ): Promise<ChatCompletion> {
    usage.calls++;
    const maxRetries = Math.min(call.maxRetries ?? this.#maxRetries, this.#maxRetries);
    const completion = await this.#client.chat.completions.create(body, {
      maxRetries,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    usage.tokensIn += completion.usage?.prompt_tokens ?? 0;
    usage.tokensOut += completion.usage?.completion_tokens ?? 0;
    return completion;
  }

  #remember(key: string, mode: JsonMode): void {
    this.#modes.delete(key);
    this.#modes.set(key, mode);
    if (this.#modes.size > MAX_REMEMBERED_MODES) this.#modes.delete(this.#modes.keys().next().value!);
  }
}

function requestOf(
  mode: JsonMode,
  model: string,
  messages: ChatCompletionMessageParam[],
  schema: object,
): ChatCompletionCreateParamsNonStreaming {
  const base = { model, messages: [...messages], temperature: 0 };
  switch (mode) {
    case 'json_schema':
      return {
        ...base,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'extraction', schema: schema as Record<string, unknown>, strict: false },
        },
      };
    case 'tools':
      return {
        ...base,
        tools: [
          {
            type: 'function',
            function: {
              name: TOOL_NAME,
              description: 'Records the data extracted from the page',
              parameters: schema as Record<string, unknown>,
            },
          },
        ],
        tool_choice: { type: 'function', function: { name: TOOL_NAME } },
      };
    case 'json_object':
      return { ...base, response_format: { type: 'json_object' } };
  }
}

/** The answer's JSON text: the tool call's arguments, or the message content; null when the tool was not called. */
function answerOf(mode: JsonMode, completion: ChatCompletion): string | null {
  const message = completion.choices[0]?.message;
  if (mode === 'tools') {
    const call = message?.tool_calls?.find((c) => c.type === 'function' && c.function.name === TOOL_NAME);
    return call && call.type === 'function' ? call.function.arguments : null;
  }
  return message?.content ?? '';
}

/** The model's own answer, as the conversation goes on. */
function assistantTurn(mode: JsonMode, completion: ChatCompletion): ChatCompletionMessageParam {
  const message = completion.choices[0]?.message;
  if (mode === 'tools' && message?.tool_calls && message.tool_calls.length > 0) {
    return { role: 'assistant', content: message.content ?? null, tool_calls: message.tool_calls };
  }
  return { role: 'assistant', content: message?.content ?? '' };
}

/** The turn that shows the model what was wrong (a tool result for a tool call, a user turn otherwise). */
function repairTurns(
  mode: JsonMode,
  completion: ChatCompletion,
  problem: string,
): ChatCompletionMessageParam[] {
  const text = `That answer cannot be used: ${problem}\nAnswer again with JSON that matches the schema, nothing else.`;
  const call = completion.choices[0]?.message.tool_calls?.[0];
  if (mode === 'tools' && call) return [{ role: 'tool', tool_call_id: call.id, content: text }];
  return [{ role: 'user', content: text }];
}

/** Did the endpoint refuse this way of asking (rather than fail)? */
function isUnsupported(error: unknown): boolean {
  return (
    error instanceof OpenAI.BadRequestError ||
    error instanceof OpenAI.UnprocessableEntityError ||
    error instanceof OpenAI.NotFoundError
  );
}

/** An endpoint failure as an `LlmAnswerError` whose message names what happened, never the key. */
function endpointError(error: unknown, usage: LlmUsage): LlmAnswerError {
  if (error instanceof LlmAnswerError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return new LlmAnswerError('The model endpoint did not answer in time (timeout)', usage, { cause: error });
  if (error instanceof OpenAI.RateLimitError)
    return new LlmAnswerError(
      'The model endpoint kept answering 429 Too Many Requests (rate limited)',
      usage,
      { cause: error },
    );
  if (error instanceof OpenAI.APIUserAbortError)
    return new LlmAnswerError('The call was aborted', usage, { cause: error });
  if (error instanceof OpenAI.APIConnectionError) {
    const blocked = findBlocked(error);
    if (blocked) {
      return new LlmAnswerError(
        `The model endpoint's address is refused by the private-network guard (blocked_address: ${blocked}); a model server on loopback or a private network needs an entry in DISTILL_FETCH_ALLOW, e.g. DISTILL_FETCH_ALLOW=127.0.0.1`,
        usage,
        { cause: error },
      );
    }
    return new LlmAnswerError(`The model endpoint cannot be reached: ${causeMessage(error)}`, usage, {
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError)
    return new LlmAnswerError(
      `The model endpoint answered ${error.status ?? 'an error'}: ${error.message}`.slice(0, 500),
      usage,
      { cause: error },
    );
  return new LlmAnswerError(
    `The call failed: ${error instanceof Error ? error.message : String(error)}`,
    usage,
    { cause: error },
  );
}

function findBlocked(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'blocked_address') return e.message;
  }
  return undefined;
}

function causeMessage(error: Error): string {
  let e: unknown = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : error.message;
}
