import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DistillClient } from '../../client/index.js';
import { createMcpServer } from './tools.js';

/** Host names every server accepts in `Host` and `Origin` (loopback); others come from `allowedHosts`. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** The host name of a `Host` header (`example.com:3000` → `example.com`, `[::1]:3000` → `[::1]`), lower case. */
function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  return lower.split(':', 1)[0] ?? '';
}

/**
 * The DNS-rebinding check the MCP specification asks of a Streamable HTTP server: a page on
 * `evil.test` whose name was made to resolve to 127.0.0.1 reaches us with `Host: evil.test` and
 * `Origin: http://evil.test`. Only loopback names and the configured ones are accepted, in both
 * headers (a request with no Origin is not from a browser page). Returns why it refused, or undefined.
 */
export function refusedByRebindingCheck(
  headers: FastifyRequest['headers'],
  allowedHosts: readonly string[],
): string | undefined {
  const allowed = new Set([...LOOPBACK_HOSTS, ...allowedHosts.map((h) => h.toLowerCase())]);
  const host = headers.host;
  if (typeof host !== 'string' || !allowed.has(hostName(host)))
    return `the Host header ${JSON.stringify(host ?? '')} is not one this server answers MCP for`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `the Origin ${JSON.stringify(origin)} is not a URL`;
  }
  return allowed.has(hostName(originHost))
    ? undefined
    : `the Origin ${JSON.stringify(origin)} is not allowed`;
}

/** A JSON-RPC error answer outside any MCP session (before the transport runs). */
function jsonRpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * A `fetch` that sends the MCP tools' API calls into this same Fastify instance (`inject`), with
 * the MCP request's key: the calls pass the API's auth, tenant checks, validation and rate limits
 * as any client's would, without a socket.
 */
function injectFetch(app: FastifyInstance, request: FastifyRequest): typeof globalThis.fetch {
  const credentials: Record<string, string> = {};
  for (const name of ['authorization', 'x-api-key'] as const) {
    const value = request.headers[name];
    if (typeof value === 'string') credentials[name] = value;
  }
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const response = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: { ...headers, ...credentials },
      ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined)
        responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
    const hasBody = response.statusCode !== 204 && response.statusCode !== 304;
    return new Response(hasBody ? new Uint8Array(response.rawPayload) : null, {
      status: response.statusCode,
      headers: responseHeaders,
    });
  };
}

/**
 * `/mcp`: the MCP server over Streamable HTTP, stateless (a server and a transport per request, as
 * the SDK's stateless example does; JSON answers, no SSE streams), so any API process can answer
 * any request and nothing is kept between them. GET and DELETE (session streams and their end)
 * are 405: there are no sessions. Auth and rate limits are the API's (`/mcp` is inside the API).
 */
export function mcpHttpRoutes(options: { allowedHosts: readonly string[] }) {
  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.addHook('onRequest', async (request, reply) => {
      const refusal = refusedByRebindingCheck(request.headers, options.allowedHosts);
      if (refusal !== undefined) {
        request.log.info(
          { host: request.headers.host, origin: request.headers.origin },
          'MCP request refused by the DNS rebinding check',
        );
        return jsonRpcError(reply, 403, -32000, `Forbidden: ${refusal} (DISTILL_MCP_ALLOWED_HOSTS)`);
      }
    });
    app.post('/mcp', { schema: { hide: true } }, async (request, reply) => {
      const client = new DistillClient({
        baseUrl: 'http://distill.internal',
        fetch: injectFetch(app, request),
      });
      const server = createMcpServer(client);
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (error) {
        request.log.error({ err: error }, 'MCP request failed');
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(500, { 'content-type': 'application/json' });
          reply.raw.end(
            JSON.stringify({
              jsonrpc: '2.0',
              error: { code: -32603, message: 'Internal server error' },
              id: null,
            }),
          );
        }
      }
    });
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method,
        url: '/mcp',
        schema: { hide: true },
        handler: (_request, reply) =>
          jsonRpcError(
            reply.header('allow', 'POST'),
            405,
            -32000,
            'Method not allowed: this server is stateless; POST JSON-RPC messages to /mcp',
          ),
      });
    }
    done();
  };
}
