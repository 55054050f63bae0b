/**
 * The request guard of the browser: the first line of the private-network guard, in the browser
 * itself. Every request of every page is routed through `handle`: blocked resource types (images,
 * media, fonts by default) and hosts the guard refuses are aborted before the browser opens
 * anything. The verdict on a host is the fetcher's (`assertAddressesAllowed` of fetch/), from one
 * lookup per host and port and page context; the egress proxy enforces the same guard again at
 * connect time, with the address it resolved itself (see egress-proxy.ts).
 */
import type { Page, Request, Route } from 'playwright-core';
import {
  assertAddressesAllowed,
  BlockedAddressError,
  EMPTY_ALLOW_LIST,
  isIpLiteral,
  systemLookup,
  type AllowList,
  type LookupFunction,
} from '../fetch/index.js';
import type { PageCounters } from './render-page.js';

/**
 * Runs in every frame before the page's scripts: WebRTC could otherwise send UDP around the proxy.
 * Added to every context with `addInitScript`.
 */
export const DISABLE_WEBRTC = `(() => {
  for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel', 'RTCRtpSender', 'RTCRtpReceiver']) {
    try { Object.defineProperty(globalThis, name, { value: undefined, configurable: false, writable: false }); } catch {}
  }
})();`;

/** Options of `RequestGuard`. */
export interface RequestGuardOptions {
  /** Private addresses that may be reached anyway (`DISTILL_FETCH_ALLOW`). @default none */
  allow?: AllowList | undefined;
  /** DNS lookup. @default the system resolver */
  lookup?: LookupFunction | undefined;
  /** Resource types aborted unless they are the navigation itself. */
  blockedResourceTypes: Iterable<string>;
}

/** The verdicts of one browser context, by `host:port`, so that a page's many requests cost one lookup. */
export type GuardDecisions = Map<string, Promise<boolean>>;

/** Decides, for each request a page makes, whether it may leave the browser. */
export class RequestGuard {
  readonly #allow: AllowList;
  readonly #lookup: LookupFunction;
  readonly #blockedTypes: ReadonlySet<string>;
  readonly #counters = new WeakMap<Page, PageCounters>();

  constructor(options: RequestGuardOptions) {
    this.#allow = options.allow ?? EMPTY_ALLOW_LIST;
    this.#lookup = options.lookup ?? systemLookup;
    this.#blockedTypes = new Set(options.blockedResourceTypes);
  }

  /** Counts the requests of `page` the guard aborts into `counters`. */
  track(page: Page, counters: PageCounters): void {
    this.#counters.set(page, counters);
  }

  /** Routes one request: aborts it (a blocked type, a refused host) or lets it go on. */
  async handle(route: Route, decisions: GuardDecisions): Promise<void> {
    const request = route.request();
    const counters = this.#countersOf(request);
    try {
      if (this.#blockedTypes.has(request.resourceType()) && !request.isNavigationRequest()) {
        if (counters) counters.blocked += 1;
        await route.abort('blockedbyclient');
        return;
      }
      const url = new URL(request.url());
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
        const key = `${url.hostname}:${port}`;
        let decision = decisions.get(key);
        if (decision === undefined) {
          decision = this.isHostAllowed(url.hostname, port);
          decisions.set(key, decision);
        }
        if (!(await decision)) {
          if (counters) {
            counters.blocked += 1;
            counters.guardBlocked += 1;
          }
          await route.abort('addressunreachable');
          return;
        }
      }
      await route.fallback();
    } catch {
      // The page closed while we decided; nothing is left to answer.
    }
  }

  /** The guard's verdict on a host and port, from one lookup; the proxy checks again when connecting. */
  async isHostAllowed(hostname: string, port: number): Promise<boolean> {
    const bare = hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    try {
      addresses = isIpLiteral(bare)
        ? [bare]
        : (await this.#lookup(bare, { all: true })).map((entry) => entry.address);
    } catch {
      // Unresolvable here: let the request go on and fail at the proxy, which resolves again.
      return true;
    }
    try {
      assertAddressesAllowed(bare, addresses, port, this.#allow);
      return true;
    } catch (error) {
      if (error instanceof BlockedAddressError) return false;
      throw error;
    }
  }

  #countersOf(request: Request): PageCounters | undefined {
    try {
      return this.#counters.get(request.frame().page());
    } catch {
      return undefined;
    }
  }
}
