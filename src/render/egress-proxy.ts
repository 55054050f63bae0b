/**
 * `EgressProxy`: the only way out of the browser. Chromium is launched with
 * `--proxy-server=http://127.0.0.1:<port>` and `--proxy-bypass-list=<-loopback>` (so loopback
 * goes through it too), which sends every request of every page here: plain HTTP as absolute-form
 * requests, HTTPS and WebSockets (ws and wss) as CONNECT tunnels. For each one the proxy resolves
 * the host ITSELF, checks every address with the fetcher's private-network guard
 * (`assertAddressesAllowed`: the same rules and allow list as plain fetches) and connects only to
 * an address it checked. Chromium never resolves a name itself, so DNS rebinding between a check
 * and the connection cannot reach a private address, and a refused host gets no connection at all.
 *
 * A refused request gets `403` with an `X-Distill-Blocked` header; an unreachable one `502`. The
 * proxy also refuses requests to its own address (a loop) whatever the allow list says. It listens
 * on loopback only and serves the one browser pool that owns it.
 *
 * Upstream proxies (issue 20). A browser context whose item was fetched through a pool's proxy
 * renders through that same proxy: `openRoute(name)` opens one more loopback listener of this
 * proxy for that context (its Playwright `proxy.server`), whose requests are still resolved and
 * checked here first; then each connection is a tunnel through the named proxy to the CHECKED
 * address (`ProxyEndpoint.tunnel`: the fetcher's own HTTP CONNECT and SOCKS5 code). A listener
 * rather than credentials: Chromium sends a request without credentials first and answers a `407`
 * only for requests Playwright intercepts (not WebSockets), so nothing depends on that dance. A
 * route's listener and sockets close with its context (`close()`); at most `MAX_ROUTES` are open.
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import {
  assertAddressesAllowed,
  BlockedAddressError,
  DnsNotFoundError,
  EMPTY_ALLOW_LIST,
  isIpLiteral,
  ProxyEndpoint,
  systemLookup,
  type ProxySpec,
  type AllowList,
  type LookupFunction,
} from '../fetch/index.js';
import { toError } from '../lib/index.js';

/** Options of `EgressProxy`. */
export interface EgressProxyOptions {
  /** Addresses exempt from the guard: the fetcher's allow list (`DISTILL_FETCH_ALLOW`). @default none */
  allow?: AllowList;
  /** Resolver; tests inject one. @default dns.promises.lookup with `all: true` */
  lookup?: LookupFunction;
  /** Limit of the lookup and of each connect attempt, in milliseconds. @default 10000 */
  connectTimeoutMs?: number;
  /** Told of every refused request (metrics, logs). Must not throw. */
  onBlocked?: (target: { host: string; port: number; reason: string }) => void;
  /** Proxies a route may go through (`openRoute(name)`): the fetcher's `DISTILL_PROXY_POOLS` proxies. @default none */
  proxies?: readonly ProxySpec[];
}

/** One open route: the listener a browser context's `proxy.server` names; `close()` closes it. */
export interface EgressRoute {
  /** `http://127.0.0.1:<port>` of the route's own listener. */
  url: string;
  close(): Promise<void>;
}

/** Routes open at once at most (one per browser context, which the pool bounds far lower). */
export const MAX_ROUTES = 4096;

/** Counters since start. */
export interface EgressProxyStats {
  /** CONNECT tunnels opened (HTTPS, WebSockets). */
  tunnels: number;
  /** Plain HTTP requests forwarded. */
  requests: number;
  /** Requests and tunnels refused by the guard. */
  blocked: number;
  /** Tunnels and requests whose connection went through an upstream proxy. */
  proxied: number;
  /** Sockets open now, from the browser and upstream. */
  openSockets: number;
  /** Routes open now (one per browser context). */
  openRoutes: number;
  /** Routes opened since start (each browser context that rendered through a proxy opened one). */
  routesOpened: number;
}

/** Where the connections of one request go: directly, or through this proxy. */
type Route = { proxy: ProxyEndpoint | undefined };

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardableHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const connectionTokens = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase()),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Parses CONNECT's `host:port` (`[v6]:port` for IPv6). */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(authority);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !(port >= 1 && port <= 65535)) return undefined;
  return { host, port };
}

/** The addresses `lookup` gives for `host`, or an error after `timeoutMs`. */
async function lookupWithTimeout(lookup: LookupFunction, host: string, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Resolving ${host} took over ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true }), timeout]);
    return found.map((entry) => entry.address);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects to the first of `addresses` that answers within `timeoutMs`; `track` is given every socket opened. */
async function connectFirst(
  addresses: readonly string[],
  port: number,
  timeoutMs: number,
  track: (socket: Socket) => void,
): Promise<Socket> {
  let lastError: Error | undefined;
  for (const address of addresses) {
    const socket = net.connect({ host: address, port });
    track(socket);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`Connecting to ${address}:${port} timed out`)),
    );
    try {
      await once(socket, 'connect');
      socket.setTimeout(0);
      return socket;
    } catch (error) {
      socket.destroy();
      lastError = toError(error);
    }
  }
  throw lastError ?? new Error('No address to connect to');
}

/** A local HTTP forward and CONNECT proxy that enforces the private-network guard; see the module comment. */
export class EgressProxy {
  readonly #allow: AllowList;
  readonly #lookup: LookupFunction;
  readonly #connectTimeoutMs: number;
  readonly #onBlocked: EgressProxyOptions['onBlocked'];
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #stats = { tunnels: 0, requests: 0, blocked: 0, proxied: 0, routesOpened: 0 };
  readonly #endpoints = new Map<string, ProxyEndpoint>();
  /** The open routes' listeners, and their ports (never a destination: see `#checkedAddresses`). */
  readonly #routes = new Map<http.Server, number>();
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #address: AddressInfo | undefined;

  constructor(options: EgressProxyOptions = {}) {
    this.#allow = options.allow ?? EMPTY_ALLOW_LIST;
    this.#lookup = options.lookup ?? systemLookup;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    if (!Number.isSafeInteger(this.#connectTimeoutMs) || this.#connectTimeoutMs <= 0) {
      throw new TypeError(
        `Expected \`connectTimeoutMs\` to be a positive integer, got \`${this.#connectTimeoutMs}\``,
      );
    }
    this.#onBlocked = options.onBlocked;
    for (const spec of options.proxies ?? []) {
      this.#endpoints.set(spec.name, new ProxyEndpoint(spec, { connectTimeoutMs: this.#connectTimeoutMs }));
    }
    this.#server = this.#listener({ proxy: undefined });
  }

  /** An HTTP server that serves requests over `route`: directly, or through its proxy. */
  #listener(route: Route): http.Server {
    const server = http.createServer(
      { keepAlive: true },
      (request, response) => void this.#forward(request, response, route),
    );
    server.on('connect', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      void this.#tunnel(request, socket, head, route);
    });
    server.on('upgrade', (_request: IncomingMessage, socket: Socket) => {
      // Chromium tunnels WebSockets with CONNECT; an absolute-form upgrade is not something it sends.
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n');
    });
    server.on('connection', (socket: Socket) => this.#track(socket));
    server.on('clientError', (_error, socket) => socket.destroy());
    return server;
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    if (!this.#address) throw new Error('The egress proxy is not started');
    return `http://127.0.0.1:${this.#address.port}`;
  }

  get stats(): EgressProxyStats {
    return { ...this.#stats, openSockets: this.#sockets.size, openRoutes: this.#routes.size };
  }

  /**
   * Opens a route: a listener of its own whose connections go through the proxy named `proxyName`
   * (one of `proxies`). Throws `TypeError` for a name that is not configured.
   */
  async openRoute(proxyName: string): Promise<EgressRoute> {
    const proxy = this.#endpoints.get(proxyName);
    if (proxy === undefined) throw new TypeError(`No proxy is named \`${proxyName}\` for rendering`);
    if (this.#stopping) throw new Error('The egress proxy is stopped');
    if (this.#routes.size >= MAX_ROUTES)
      throw new Error(`The egress proxy has ${MAX_ROUTES} routes open already`);
    const server = this.#listener({ proxy });
    this.#routes.set(server, 0);
    try {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    } catch (error) {
      this.#routes.delete(server);
      throw error;
    }
    const { port } = server.address() as AddressInfo;
    this.#routes.set(server, port);
    this.#stats.routesOpened += 1;
    let closing: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => {
        closing ??= this.#closeRoute(server);
        return closing;
      },
    };
  }

  async #closeRoute(server: http.Server): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    this.#routes.delete(server);
  }

  /** Listens on 127.0.0.1 on a free port. Idempotent. */
  start(): Promise<void> {
    if (this.#stopping) return Promise.reject(new Error('The egress proxy is stopped'));
    this.#starting ??= (async () => {
      this.#server.listen(0, '127.0.0.1');
      await once(this.#server, 'listening');
      this.#address = this.#server.address() as AddressInfo;
    })();
    return this.#starting;
  }

  /** Closes the listener and every open socket. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => undefined);
      if (!this.#server.listening) return;
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const socket of this.#sockets) socket.destroy();
      this.#server.closeAllConnections();
      await Promise.all([...this.#routes.keys()].map((server) => this.#closeRoute(server)));
      await closed;
      await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.close()));
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Resolves `host` once and checks every address; the checked addresses are the only ones used. */
  async #checkedAddresses(host: string, port: number): Promise<string[]> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    if (isIpLiteral(bare)) {
      addresses = [bare];
    } else {
      const found = await lookupWithTimeout(this.#lookup, bare, this.#connectTimeoutMs);
      if (found.length === 0) throw new DnsNotFoundError(bare, undefined);
      addresses = found;
    }
    if (
      this.#address &&
      (port === this.#address.port || [...this.#routes.values()].includes(port)) &&
      addresses.some((a) => a === '127.0.0.1' || a === '::1' || a === this.#address?.address)
    ) {
      throw new BlockedAddressError(bare, addresses[0]!, 'loopback');
    }
    assertAddressesAllowed(bare, addresses, port, this.#allow);
    return addresses;
  }

  /** Connects to the first checked address that answers, or tunnels to the first through the route's proxy. */
  async #connect(addresses: readonly string[], port: number, route: Route): Promise<Socket> {
    if (route.proxy !== undefined) {
      // The guard already checked these addresses; the proxy is asked for the address, never the name.
      const socket = (await route.proxy.tunnel(addresses[0]!, port)) as Socket;
      this.#track(socket);
      this.#stats.proxied += 1;
      return socket;
    }
    return connectFirst(addresses, port, this.#connectTimeoutMs, (socket) => this.#track(socket));
  }

  #refused(host: string, port: number, error: unknown): { status: number; reason: string } {
    const reason = toError(error).message.replace(/[\r\n]/g, ' ');
    if (error instanceof BlockedAddressError) {
      this.#stats.blocked += 1;
      try {
        this.#onBlocked?.({ host, port, reason });
      } catch {
        // Observers must not break the proxy.
      }
      return { status: 403, reason };
    }
    return { status: 502, reason };
  }

  async #tunnel(request: IncomingMessage, client: Socket, head: Buffer, route: Route): Promise<void> {
    client.on('error', () => client.destroy());
    const target = parseAuthority(request.url ?? '');
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    let upstream: Socket;
    try {
      upstream = await this.#connect(
        await this.#checkedAddresses(target.host, target.port),
        target.port,
        route,
      );
    } catch (error) {
      const { status, reason } = this.#refused(target.host, target.port, error);
      const text = status === 403 ? 'Forbidden' : 'Bad Gateway';
      client.end(
        `HTTP/1.1 ${status} ${text}\r\nX-Distill-Blocked: ${status === 403 ? reason.slice(0, 200) : ''}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    this.#stats.tunnels += 1;
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async #forward(request: IncomingMessage, response: ServerResponse, route: Route): Promise<void> {
    let url: URL;
    try {
      url = new URL(request.url ?? '');
      if (url.protocol !== 'http:') throw new Error('only absolute http:// URLs are forwarded');
    } catch {
      response.writeHead(400, { connection: 'close' }).end();
      return;
    }
    const port = url.port === '' ? 80 : Number(url.port);
    let addresses: string[];
    try {
      addresses = await this.#checkedAddresses(url.hostname, port);
    } catch (error) {
      const { status, reason } = this.#refused(url.hostname, port, error);
      response
        .writeHead(status, {
          'x-distill-blocked': status === 403 ? reason.slice(0, 200) : '',
          connection: 'close',
        })
        .end();
      return;
    }
    let socket: Socket;
    try {
      socket = await this.#connect(addresses, port, route);
    } catch (error) {
      this.#refused(url.hostname, port, error);
      response.writeHead(502, { connection: 'close' }).end();
      return;
    }
    this.#stats.requests += 1;
    // One upstream connection per request, to the checked address: no pool can hand a request to a
    // socket opened for another name.
    const upstream = http.request({
      createConnection: () => socket,
      method: request.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...forwardableHeaders(request.headers), host: url.host, connection: 'close' },
      setHost: false,
    });
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, forwardableHeaders(answer.headers));
      answer.pipe(response);
      answer.on('error', () => response.destroy());
    });
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { connection: 'close' }).end();
      else response.destroy();
    });
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  }
}
