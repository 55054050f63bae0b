import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible chat-completions server on 127.0.0.1 for the LLM tests: no model can run
 * here, so it speaks the wire protocol (`POST /v1/chat/completions` with `response_format`
 * json_schema / json_object, `tools` + `tool_choice` answered with `tool_calls`, OpenAI error
 * bodies, 429 with Retry-After, slow answers) and behaves as the model its request names:
 *
 * - `schema-model`: structured outputs.
 * - `tool-model`: refuses `json_schema` (400), calls the tool.
 * - `json-mode-model`: refuses `json_schema` and `tools` (400), answers JSON mode.
 * - `flaky-model`: structured outputs, but the first two answers of a conversation are not JSON.
 * - `wrong-model`: answers JSON that breaks the schema (no `title`), every time.
 * - `busy-model`: 429 with `Retry-After: 0`, every time.
 * - `slow-model`: answers after 5 s.
 *
 * The answer to a page whose Markdown starts with `# Title of X` is `{"title": "Title of X"}`.
 */
export interface FakeOpenAi {
  url: string;
  /** Every request body, in arrival order, with its Authorization header. */
  requests: Array<{ body: ChatRequest; authorization: string | undefined }>;
  /** Most requests in flight at once so far. */
  maxInFlight: () => number;
  close: () => Promise<void>;
}

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_call_id?: string }>;
  response_format?: { type: string; json_schema?: { schema: unknown } };
  tools?: Array<{ function: { name: string } }>;
}

export async function startFakeOpenAi(options: { delayMs?: number } = {}): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      let raw = '';
      for await (const chunk of request) raw += String(chunk);
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions')
        return error(response, 404, 'Not found', 'not_found');
      const body = JSON.parse(raw) as ChatRequest;
      requests.push({ body, authorization: request.headers.authorization });
      if (options.delayMs) await sleep(options.delayMs);
      await answer(body, response);
    } finally {
      inFlight--;
    }
  }

  async function answer(body: ChatRequest, response: ServerResponse): Promise<void> {
    const mode = body.tools ? 'tools' : (body.response_format?.type ?? 'text');
    const page = body.messages.find((m) => m.role === 'user')?.content ?? '';
    const title = /# (Title of \S+)/.exec(page)?.[1] ?? 'unknown';
    switch (body.model) {
      case 'busy-model':
        response.setHeader('retry-after', '0');
        return error(response, 429, 'Rate limit reached for requests', 'rate_limit_exceeded');
      case 'slow-model':
        await sleep(5000);
        break;
      case 'tool-model':
        if (mode === 'json_schema')
          return error(
            response,
            400,
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
            'invalid_request_error',
          );
        break;
      case 'json-mode-model':
        if (mode === 'json_schema' || mode === 'tools')
          return error(
            response,
            400,
            `This model does not support ${mode === 'tools' ? 'tools' : 'response_format json_schema'}.`,
            'invalid_request_error',
          );
        break;
    }
    const turns = body.messages.filter((m) => m.role === 'assistant').length;
    let content: string;
    if (mode === 'text') content = `A short summary of ${title}.`;
    else if (body.model === 'flaky-model' && turns < 2)
      content = turns === 0 ? '{"title": "Title of' : 'Sure! Here is the JSON you asked for.';
    else if (body.model === 'wrong-model') content = JSON.stringify({ heading: title });
    else content = JSON.stringify({ title });
    const message =
      mode === 'tools'
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: `call_${requests.length}`,
                type: 'function',
                function: { name: body.tools![0]!.function.name, arguments: content },
              },
            ],
          }
        : { role: 'assistant', content };
    send(response, 200, {
      id: `chatcmpl-${requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, finish_reason: mode === 'tools' ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
    });
  }

  function send(response: ServerResponse, status: number, body: unknown): void {
    if (response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function error(response: ServerResponse, status: number, message: string, code: string): void {
    send(response, status, {
      error: { message, type: status === 429 ? 'requests' : 'invalid_request_error', param: null, code },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    maxInFlight: () => maxInFlight,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
