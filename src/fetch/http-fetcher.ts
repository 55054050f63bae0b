/**
 * `HttpFetcher`: the polite, guarded HTTP client of distill, over one undici `Agent`.
 *
 * One fetch: parse the URL → for every hop: refuse IP literals the guard blocks, check robots.txt,
 * send GET (the agent's guarded connector resolves, checks every address and connects only to a
 * checked one) → follow 301/302/303/307/308 by hand up to `maxRedirects` → read and decompress the
 * body under `maxBodyBytes`. One deadline (`timeoutMs`) covers everything, redirects and body
 * included; the caller's `signal` aborts it all.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import type { Clock } from '../lib/clock.js';
import { AbortedError, toError } from '../lib/errors.js';
import { EMPTY_ALLOW_LIST, isIpLiteral, parseAllowList, type AllowList } from './address-guard.js';
import { BLOCK_SNIFF_BYTES, judgeBlock, judgeRedirect, unauthorizedVerdict } from './block-detection.js';
import {
  BlockedBySiteError,
  LoginRequiredError,
  createHttpStatusError,
  isHttpStatusError,
  RobotsDisallowedError,
  TooLargeError,
  TooManyRedirectsError,
} from './errors.js';
import {
  assertAddressesAllowed,
  createGuardedConnector,
  systemLookup,
  type LookupFunction,
} from './guarded-connector.js';
import { isLocalhostName, localhostAddresses } from './dns-lookup.js';
import { FetchScope } from './fetch-scope.js';
import { toFetchError } from './to-fetch-error.js';
import { ACCEPT_ENCODING, readBody } from './read-body.js';
import {
  destroyBody,
  discardBody,
  flattenHeaders,
  headerValue,
  integerOption,
  parseFetchUrl,
  portOf,
  REDIRECT_STATUSES,
} from './http-helpers.js';
import { ProxyEndpoint, parseProxyUrl, type ProxySpec } from './proxy-tunnel.js';
import { domainPatternMatches } from './domain-rules.js';
import { requestSecretsFor } from './request-secrets.js';
import { RobotsCache, type RobotsTxtResult } from './robots.js';
import type { FetchedResponse, Fetcher, FetchOptions } from './types.js';

/** User-Agent sent when none is configured. */
export const DEFAULT_USER_AGENT = 'distill/0.1 (+https://github.com/distill)';

/**
 * Accept header: Markdown first (a site that serves its pages as Markdown gives the document as its
 * author wrote it), then HTML, anything else accepted (the extractor judges content types).
 */
export const DEFAULT_ACCEPT = 'text/markdown, text/html;q=0.9, */*;q=0.8';

/** Options of `HttpFetcher`. */
export interface HttpFetcherOptions {
  /** User-Agent header. @default DEFAULT_USER_AGENT */
  userAgent?: string;
  /** Accept header of every request. @default DEFAULT_ACCEPT */
  accept?: string;
  /** Product token matched against robots.txt `User-agent:` lines. @default 'distill' */
  robotsUserAgent?: string;
  /** Total limit of one fetch (DNS, connect, redirects, body), in milliseconds. @default 30000 */
  timeoutMs?: number;
  /** Limit of DNS lookup and of each connect attempt, in milliseconds. @default 10000 */
  connectTimeoutMs?: number;
  /** Limit from sending a request to receiving its response headers, in milliseconds. @default 15000 */
  headersTimeoutMs?: number;
  /** Most body bytes after decompression; a larger body fails with `too_large`. @default 10485760 (10 MiB) */
  maxBodyBytes?: number;
  /** Most redirects followed; one more fails with `too_many_redirects`. @default 5 */
  maxRedirects?: number;
  /** Most connections kept open to one origin (keep-alive pool). @default 4 */
  maxConnectionsPerOrigin?: number;
  /** How long an idle keep-alive connection is kept, in milliseconds. @default 10000 */
  keepAliveTimeoutMs?: number;
  /**
   * Addresses exempt from the private-network guard: an `AllowList` or its text form
   * (`DISTILL_FETCH_ALLOW`, e.g. `10.0.0.0/8,intranet.local,127.0.0.1:8080`). @default none
   */
  allow?: AllowList | string;
  /** Obey robots.txt. @default true */
  respectRobots?: boolean;
  /** How long a robots.txt is cached, in milliseconds. @default 3600000 (1 h) */
  robotsTtlMs?: number;
  /** How long an unavailable robots.txt (5xx, error) counts as "allow all", in milliseconds. @default 600000 */
  robotsErrorTtlMs?: number;
  /** Most origins whose robots.txt is cached. @default 10000 */
  robotsMaxOrigins?: number;
  /** Most robots.txt bytes read; the rest is ignored. @default 512000 (500 KiB) */
  robotsMaxBytes?: number;
  /** Total limit of one robots.txt fetch, in milliseconds. @default 10000 */
  robotsTimeoutMs?: number;
  /**
   * Resolver; `createDnsLookup(servers)` asks the configured DNS servers, tests inject one.
   * @default systemLookup (dns.promises.lookup with `all: true`; localhost names are loopback)
   */
  lookup?: LookupFunction;
  /** Source of time for robots.txt TTLs and Retry-After dates. @default systemClock */
  clock?: Clock;
  /**
   * Proxies a fetch may go through (`FetchOptions.proxy` names one), each with its own connection
   * pool; the guard still checks every destination (proxy-tunnel.ts). @default none
   */
  proxies?: readonly ProxySpec[];
}

interface ResolvedOptions {
  userAgent: string;
  accept: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  maxBodyBytes: number;
  maxRedirects: number;
  robotsMaxBytes: number;
  robotsTimeoutMs: number;
}

/** How one internal request runs: the page fetch and the robots.txt fetch differ here. */
interface RequestPlan {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  shouldCheckRobots: boolean;
  maxBytes: number;
  onLimit: 'fail' | 'truncate';
  conditional: { etag?: string; lastModified?: string };
  secrets: FetchOptions['secrets'];
  domainHeaders: FetchOptions['domainHeaders'];
  /** The agent of the proxy the fetch goes through, or the direct one. */
  agent: Agent;
  /** A page (checked for walls and login redirects), not robots.txt. */
  isPage: boolean;
}

interface RequestOutcome {
  response: FetchedResponse;
  /** True when `onLimit: 'truncate'` cut the body. */
  isTruncated: boolean;
}

/** Fetches URLs politely and safely over undici; see the module comment. */
export class HttpFetcher implements Fetcher {
  readonly #options: ResolvedOptions;
  readonly #allow: AllowList;
  readonly #agent: Agent;
  /** One agent per proxy: keep-alive connections through one proxy never serve another's requests. */
  readonly #proxyAgents = new Map<string, { agent: Agent; endpoint: ProxyEndpoint }>();
  readonly #robots: RobotsCache;
  /** `respectRobots`: whether a fetch whose domain rule says nothing checks robots.txt. */
  readonly #respectRobots: boolean;
  readonly #clock: Clock | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: HttpFetcherOptions = {}) {
    const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    if (typeof userAgent !== 'string' || userAgent.trim() === '' || /[\r\n]/.test(userAgent)) {
      throw new TypeError(
        `Expected \`userAgent\` to be a non-empty single-line string, got \`${String(userAgent)}\``,
      );
    }
    const accept =
      options.accept === undefined || options.accept.trim() === '' ? DEFAULT_ACCEPT : options.accept;
    if (/[\r\n]/.test(accept))
      throw new TypeError(`Expected \`accept\` to be a single-line header value, got \`${accept}\``);
    this.#options = {
      userAgent,
      accept,
      timeoutMs: integerOption('timeoutMs', options.timeoutMs ?? 30_000, 1),
      connectTimeoutMs: integerOption('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1),
      headersTimeoutMs: integerOption('headersTimeoutMs', options.headersTimeoutMs ?? 15_000, 1),
      maxBodyBytes: integerOption('maxBodyBytes', options.maxBodyBytes ?? 10 * 1024 * 1024, 1),
      maxRedirects: integerOption('maxRedirects', options.maxRedirects ?? 5, 0),
      robotsMaxBytes: integerOption('robotsMaxBytes', options.robotsMaxBytes ?? 500 * 1024, 1),
      robotsTimeoutMs: integerOption('robotsTimeoutMs', options.robotsTimeoutMs ?? 10_000, 1),
    };
    const maxConnections = integerOption('maxConnectionsPerOrigin', options.maxConnectionsPerOrigin ?? 4, 1);
    const keepAliveTimeoutMs = integerOption('keepAliveTimeoutMs', options.keepAliveTimeoutMs ?? 10_000, 1);
    this.#allow =
      options.allow === undefined
        ? EMPTY_ALLOW_LIST
        : typeof options.allow === 'string'
          ? parseAllowList(options.allow)
          : options.allow;
    this.#clock = options.clock;
    this.#respectRobots = options.respectRobots !== false;
    // Kept even when robots.txt is not respected by default: a domain rule may ask for it.
    this.#robots = new RobotsCache({
      load: (robotsUrl) => this.#loadRobotsTxt(robotsUrl),
      userAgentToken: options.robotsUserAgent ?? 'distill',
      ...(options.robotsTtlMs === undefined ? {} : { ttlMs: options.robotsTtlMs }),
      ...(options.robotsErrorTtlMs === undefined ? {} : { errorTtlMs: options.robotsErrorTtlMs }),
      ...(options.robotsMaxOrigins === undefined ? {} : { maxOrigins: options.robotsMaxOrigins }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    for (const spec of options.proxies ?? []) parseProxyUrl(spec);
    // Created last, so that a TypeError above leaves nothing open.
    const agentFor = (proxy: ProxyEndpoint | undefined): Agent =>
      new Agent({
        connect: createGuardedConnector({
          allow: this.#allow,
          lookup: options.lookup ?? systemLookup,
          connectTimeoutMs: this.#options.connectTimeoutMs,
          proxy,
        }),
        connections: maxConnections,
        keepAliveTimeout: keepAliveTimeoutMs,
        headersTimeout: this.#options.headersTimeoutMs,
        bodyTimeout: this.#options.timeoutMs,
      });
    this.#agent = agentFor(undefined);
    for (const spec of options.proxies ?? []) {
      const endpoint = new ProxyEndpoint(spec, { connectTimeoutMs: this.#options.connectTimeoutMs });
      this.#proxyAgents.set(spec.name, { agent: agentFor(endpoint), endpoint });
    }
  }

  /** The allow list in force. */
  get allowList(): AllowList {
    return this.#allow;
  }

  async fetch(url: string, options: FetchOptions = {}): Promise<FetchedResponse> {
    const timeoutMs =
      options.timeoutMs === undefined
        ? this.#options.timeoutMs
        : integerOption('timeoutMs', options.timeoutMs, 1);
    const conditional = {
      ...(options.etag === undefined ? {} : { etag: options.etag }),
      ...(options.lastModified === undefined ? {} : { lastModified: options.lastModified }),
    };
    const { response } = await this.#run(url, {
      timeoutMs,
      signal: options.signal,
      shouldCheckRobots: options.robots === undefined ? this.#respectRobots : options.robots === 'respect',
      maxBytes: this.#options.maxBodyBytes,
      onLimit: 'fail',
      conditional,
      secrets: options.secrets,
      domainHeaders: options.domainHeaders,
      agent: this.#agentOf(options.proxy),
      isPage: true,
    });
    return response;
  }

  /** Closes the connection pools, letting requests in flight finish. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.all([
      this.#agent.close(),
      ...[...this.#proxyAgents.values()].flatMap(({ agent, endpoint }) => [agent.close(), endpoint.close()]),
    ]).then(() => undefined);
    return this.#closing;
  }

  #agentOf(proxy: string | undefined): Agent {
    if (proxy === undefined) return this.#agent;
    const entry = this.#proxyAgents.get(proxy);
    if (entry === undefined) throw new TypeError(`No proxy is named \`${proxy}\``);
    return entry.agent;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One fetch with redirects, under one deadline; every failure leaves as a `DistillError`. */
  async #run(requestedUrl: string, plan: RequestPlan): Promise<RequestOutcome> {
    if (this.#closing !== undefined) throw new AbortedError('The fetcher is closed');
    const startedAt = performance.now();
    const scope = new FetchScope(plan.timeoutMs, plan.signal);
    let current: URL | undefined;
    try {
      current = parseFetchUrl(requestedUrl);
      for (let redirects = 0; ; redirects += 1) {
        // No lookup needed for an IP literal or a localhost name, so refuse before robots.txt or any socket.
        if (isIpLiteral(current.hostname)) {
          assertAddressesAllowed(
            current.hostname,
            [current.hostname.replace(/^\[(.*)\]$/, '$1')],
            portOf(current),
            this.#allow,
          );
        } else if (isLocalhostName(current.hostname)) {
          localhostAddresses(current.hostname, portOf(current), this.#allow);
        }
        if (plan.shouldCheckRobots) {
          const isAllowed = await this.#robots.isAllowed(current, { signal: scope.signal });
          if (!isAllowed) throw new RobotsDisallowedError(current.href, this.#robots.userAgentToken);
        }

        const {
          statusCode: status,
          headers,
          body,
        } = await plan.agent.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method: 'GET',
          headers: this.#requestHeaders(plan, current),
          signal: scope.signal,
          headersTimeout: this.#options.headersTimeoutMs,
          bodyTimeout: plan.timeoutMs,
        });
        const location = headerValue(headers, 'location');

        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          await discardBody(body, headerValue(headers, 'content-length'));
          if (redirects >= this.#options.maxRedirects) {
            throw new TooManyRedirectsError(requestedUrl, this.#options.maxRedirects);
          }
          const target = parseFetchUrl(location, current);
          const login = plan.isPage ? judgeRedirect(current, target) : undefined;
          if (login) throw new LoginRequiredError(current.href, status, login.reason, login.hint);
          current = target;
          continue;
        }

        const base = {
          requestedUrl,
          finalUrl: current.href,
          status,
          contentType: headerValue(headers, 'content-type'),
          headers: flattenHeaders(headers),
          redirects,
        };
        if (
          status === 304 &&
          (plan.conditional.etag !== undefined || plan.conditional.lastModified !== undefined)
        ) {
          await discardBody(body, headerValue(headers, 'content-length'));
          const notModified = { ...base, body: new Uint8Array(0), elapsedMs: performance.now() - startedAt };
          return { response: notModified, isTruncated: false };
        }
        if (status === 401 && plan.isPage) {
          await discardBody(body, headerValue(headers, 'content-length'));
          const verdict = unauthorizedVerdict();
          throw new LoginRequiredError(current.href, status, verdict.reason, verdict.hint);
        }
        if ((status === 403 || status === 429 || status === 503) && plan.isPage) {
          // A challenge page says so in its body: look at its first bytes before calling it an HTTP error.
          const head = await readBody(body, {
            url: current.href,
            contentEncoding: headerValue(headers, 'content-encoding'),
            maxBytes: BLOCK_SNIFF_BYTES,
            onLimit: 'truncate',
            signal: scope.signal,
          }).catch(() => undefined);
          const verdict = head === undefined ? undefined : judgeBlock(status, head.body);
          if (verdict) throw new BlockedBySiteError(current.href, status, verdict.reason, verdict.hint);
          throw createHttpStatusError(
            current.href,
            status,
            headerValue(headers, 'retry-after'),
            this.#clock?.now(),
          );
        }
        if (status < 200 || status > 299) {
          await discardBody(body, headerValue(headers, 'content-length'));
          throw createHttpStatusError(
            current.href,
            status,
            headerValue(headers, 'retry-after'),
            this.#clock?.now(),
          );
        }

        const declared = Number(headerValue(headers, 'content-length'));
        if (plan.onLimit === 'fail' && declared > plan.maxBytes) {
          destroyBody(body);
          throw new TooLargeError(current.href, plan.maxBytes, `Content-Length is ${declared} bytes`);
        }
        const read = await readBody(body, {
          url: current.href,
          contentEncoding: headerValue(headers, 'content-encoding'),
          maxBytes: plan.maxBytes,
          onLimit: plan.onLimit,
          signal: scope.signal,
        });
        if (plan.isPage && /html/i.test(base.contentType ?? 'text/html')) {
          const verdict = judgeBlock(status, read.body);
          if (verdict) throw new BlockedBySiteError(current.href, status, verdict.reason, verdict.hint);
        }
        const fetched = { ...base, body: read.body, elapsedMs: performance.now() - startedAt };
        return { response: fetched, isTruncated: read.isTruncated };
      }
    } catch (error) {
      throw toFetchError(error, current?.href ?? requestedUrl, scope, plan.timeoutMs, this.#options);
    } finally {
      scope.dispose();
    }
  }

  #requestHeaders(plan: RequestPlan, url: URL): Record<string, string> {
    const headers: Record<string, string> = {
      'user-agent': this.#options.userAgent,
      accept: this.#options.accept,
      // The job's own (User-Agent and Accept may be overridden; the forbidden ones were refused).
      // A domain rule's, only to the hosts its pattern matches (issue 20); the job's own win a clash.
      ...(plan.domainHeaders !== undefined && domainPatternMatches(plan.domainHeaders.pattern, url.hostname)
        ? plan.domainHeaders.headers
        : {}),
      ...(plan.secrets === undefined
        ? {}
        : requestSecretsFor(url, plan.secrets.secrets, plan.secrets.ownHost)),
      'accept-encoding': ACCEPT_ENCODING,
    };
    if (plan.conditional.etag !== undefined) headers['if-none-match'] = plan.conditional.etag;
    if (plan.conditional.lastModified !== undefined)
      headers['if-modified-since'] = plan.conditional.lastModified;
    return headers;
  }

  /** Loads robots.txt through the same guarded agent; never rejects. */
  async #loadRobotsTxt(robotsUrl: string): Promise<RobotsTxtResult> {
    try {
      const outcome = await this.#run(robotsUrl, {
        timeoutMs: this.#options.robotsTimeoutMs,
        signal: undefined,
        shouldCheckRobots: false,
        maxBytes: this.#options.robotsMaxBytes,
        onLimit: 'truncate',
        conditional: {},
        secrets: undefined,
        domainHeaders: undefined,
        // robots.txt is fetched directly (it is cached per origin, whichever proxy asked).
        agent: this.#agent,
        isPage: false,
      });
      let text = new TextDecoder('utf-8').decode(outcome.response.body);
      // A truncated file may end in half a rule; drop the incomplete last line.
      if (outcome.isTruncated) text = text.slice(0, Math.max(0, text.lastIndexOf('\n')));
      return { kind: 'found', text };
    } catch (error) {
      if (isHttpStatusError(error) && error.status >= 400 && error.status < 500 && error.status !== 429) {
        return { kind: 'absent' };
      }
      return { kind: 'unavailable', reason: toError(error).message };
    }
  }
}

/** Creates the default `Fetcher` (an `HttpFetcher`). */
export function createFetcher(options: HttpFetcherOptions = {}): HttpFetcher {
  return new HttpFetcher(options);
}
