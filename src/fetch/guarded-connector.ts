/**
 * The undici `connect` function that enforces the private-network guard at connect time: it
 * resolves the host itself, checks EVERY address the resolver returned, and only then opens a socket
 * to one of those checked addresses. Because the check and the connect use the same answer, DNS
 * rebinding (a second lookup answering differently) cannot slip a private address through, and no
 * socket is ever opened to a refused address. IP-literal hosts are checked without a lookup.
 *
 * If any resolved address is refused, the whole name is refused (rather than connecting to the
 * public ones): a name that mixes public and private answers is either misconfigured or an attack.
 * `localhost` and names under it are loopback without a lookup (see dns-lookup.ts).
 */
import { buildConnector } from 'undici';
import { classifyAddress, isBlockedAddress, isIpLiteral, type AllowList } from './address-guard.js';
import {
  isLocalhostName,
  localhostAddresses,
  type LookupAddress,
  type LookupFunction,
} from './dns-lookup.js';
import type { ProxyEndpoint } from './proxy-tunnel.js';
import { BlockedAddressError, DnsError, DnsNotFoundError, FetchTimeoutError } from './errors.js';

export { systemLookup, type LookupAddress, type LookupFunction } from './dns-lookup.js';

/** Options of `createGuardedConnector`. */
export interface GuardedConnectorOptions {
  allow: AllowList;
  lookup: LookupFunction;
  /** Limit of the lookup and of each TCP/TLS connect attempt, in milliseconds. */
  connectTimeoutMs: number;
  /**
   * Tunnel through this proxy (issue 20): the destination is still resolved and checked here, and
   * the proxy is asked to CONNECT to the checked address (proxy-tunnel.ts).
   */
  proxy?: ProxyEndpoint | undefined;
}

/** Resolver codes that mean "this name does not exist" rather than "cannot resolve right now". */
const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'NXDOMAIN']);

/** Connect errors after which the next checked address is worth a try. */
const TRY_NEXT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function resolve(hostname: string, port: number, options: GuardedConnectorOptions): Promise<string[]> {
  if (isIpLiteral(hostname)) return [hostname];
  // RFC 6761: loopback by definition, so never asked of a resolver that could say otherwise.
  if (isLocalhostName(hostname)) return localhostAddresses(hostname, port, options.allow);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FetchTimeoutError(hostname, 'dns', options.connectTimeoutMs)),
      options.connectTimeoutMs,
    );
  });
  let addresses: LookupAddress[];
  try {
    addresses = await Promise.race([options.lookup(hostname, { all: true }), timeout]);
  } catch (error) {
    if (error instanceof FetchTimeoutError) throw error;
    const code = errorCode(error);
    if (code !== undefined && NOT_FOUND_CODES.has(code))
      throw new DnsNotFoundError(hostname, code, { cause: error });
    throw new DnsError(hostname, code, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new DnsNotFoundError(hostname, undefined);
  return addresses.map((entry) => entry.address);
}

/**
 * Throws `BlockedAddressError` unless every address is public or exempted by the allow list for
 * this `port` and `hostname`.
 */
export function assertAddressesAllowed(
  hostname: string,
  addresses: readonly string[],
  port: number,
  allow: AllowList,
): void {
  for (const address of addresses) {
    if (isBlockedAddress(address, port, allow, hostname)) {
      throw new BlockedAddressError(hostname, address, classifyAddress(address), { port });
    }
  }
}

/** Builds the guarded connector for an undici `Agent`'s `connect` option. */
export function createGuardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const connectOnce = buildConnector({ timeout: options.connectTimeoutMs });

  return (connectOptions, callback) => {
    const hostname = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(connectOptions.port) || (connectOptions.protocol === 'https:' ? 443 : 80);

    const attempt = (addresses: readonly string[], index: number): void => {
      // `host` (with the name) stays as it was, so TLS still sends SNI for and verifies the name.
      connectOnce({ ...connectOptions, hostname: addresses[index] ?? hostname }, (...args) => {
        const [error] = args;
        if (error !== null && index + 1 < addresses.length && TRY_NEXT_CODES.has(errorCode(error) ?? '')) {
          attempt(addresses, index + 1);
          return;
        }
        callback(...args);
      });
    };

    const viaProxy = (proxy: ProxyEndpoint, address: string): void => {
      proxy.tunnel(address, port).then(
        (socket) => {
          // Plain http speaks inside the tunnel; https starts TLS in it, SNI and checks for the name (`host`).
          if (connectOptions.protocol !== 'https:')
            callback(null, socket as Parameters<typeof callback>[1] & object);
          else connectOnce({ ...connectOptions, httpSocket: socket as never }, callback);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    };

    resolve(hostname, port, options).then(
      (addresses) => {
        try {
          assertAddressesAllowed(hostname, addresses, port, options.allow);
        } catch (error) {
          callback(error as Error, null);
          return;
        }
        if (options.proxy !== undefined) viaProxy(options.proxy, addresses[0] ?? hostname);
        else attempt(addresses, 0);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}
