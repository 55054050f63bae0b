/**
 * Name resolution for the guard: the system resolver or the operator's DNS servers
 * (`DISTILL_DNS_SERVERS`), and the rule of RFC 6761 §6.3 that `localhost` and every name under it
 * are loopback. Such names never reach a resolver (a DNS server could answer them with anything);
 * they are 127.0.0.1 and ::1, refused as `blocked_address` unless the allow list permits loopback.
 */
import { promises as dnsPromises } from 'node:dns';
import { toError } from '../lib/errors.js';
import { isAllowed, type AllowList } from './address-guard.js';
import { BlockedAddressError } from './errors.js';

/** One resolved address, as `dns.promises.lookup(host, { all: true })` returns it. */
export interface LookupAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses; `dns.promises.lookup` fits. */
export type LookupFunction = (hostname: string, options: { all: true }) => Promise<LookupAddress[]>;

/** The addresses of every localhost name, IPv4 first. */
export const LOOPBACK_ADDRESSES: readonly LookupAddress[] = Object.freeze([
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
]);

/** True for `localhost`, `localhost.` and any name under it (`a.localhost`, `a.localhost.`), any case. */
export function isLocalhostName(hostname: string): boolean {
  const name = (hostname.endsWith('.') ? hostname.slice(0, -1) : hostname).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * The loopback addresses a localhost name may be connected to on `port`: those the allow list
 * permits (by the name, or by an address or range). Throws `BlockedAddressError` when it permits
 * neither. Unlike a name from DNS, whose every answer must pass, a localhost name is fetched when
 * one of its two fixed addresses is allowed: `127.0.0.1:3000` in the list allows
 * `http://localhost:3000/` over IPv4 only.
 */
export function localhostAddresses(hostname: string, port: number, allow: AllowList): string[] {
  const allowed = LOOPBACK_ADDRESSES.map((entry) => entry.address).filter((address) =>
    isAllowed(allow, address, port, hostname),
  );
  if (allowed.length === 0)
    throw new BlockedAddressError(hostname, LOOPBACK_ADDRESSES[0]!.address, 'loopback', { port });
  return allowed;
}

function withLocalhost(lookup: LookupFunction): LookupFunction {
  return (hostname, options) =>
    isLocalhostName(hostname)
      ? Promise.resolve(LOOPBACK_ADDRESSES.map((entry) => ({ ...entry })))
      : lookup(hostname, options);
}

/** The system resolver (getaddrinfo, so /etc/hosts applies), all addresses; localhost names are loopback without a lookup. */
export const systemLookup: LookupFunction = withLocalhost((hostname, options) =>
  dnsPromises.lookup(hostname, options),
);

/** Resolver codes for "no such name" or "no record of this type". */
const NO_ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A lookup that asks `servers` (as `parseDnsServers` returns them) for A and AAAA records, without
 * /etc/hosts; an empty list gives `systemLookup`. A name with neither record fails with `ENOTFOUND`;
 * when one family fails otherwise (SERVFAIL, timeout) the other's answers are used, and when both
 * do, the first error is thrown. localhost names are loopback without a query.
 */
export function createDnsLookup(
  servers: readonly string[],
  options: { timeoutMs?: number } = {},
): LookupFunction {
  if (servers.length === 0) return systemLookup;
  const resolver = new dnsPromises.Resolver({ timeout: options.timeoutMs ?? 5000, tries: 2 });
  resolver.setServers([...servers]);
  return withLocalhost(async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const found = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (found.length > 0) return found;
    const errors = [v4, v6].flatMap((result) =>
      result.status === 'rejected' ? [toError(result.reason)] : [],
    );
    const failure = errors.find((error) => !NO_ANSWER_CODES.has(codeOf(error) ?? ''));
    if (failure !== undefined) throw failure;
    throw Object.assign(new Error(`${hostname} has no A or AAAA record`), { code: 'ENOTFOUND', hostname });
  });
}
