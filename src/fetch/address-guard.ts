/**
 * The private-network guard: classifies IP addresses and decides whether the fetcher may connect to
 * one. Only globally routable unicast addresses are `public`; everything else (loopback, RFC 1918,
 * link-local with the cloud metadata address 169.254.169.254, CGNAT, multicast, documentation and
 * benchmarking ranges, and IPv6 forms that embed any of these) is refused unless the operator's
 * allow list names it.
 *
 * Decisions where standards leave room:
 * - IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and IPv4-translated
 *   (::ffff:0:a.b.c.d) addresses are classified by the IPv4 address they carry; the compatible and
 *   translated forms are deprecated or host-internal, so they are `reserved` even when that address
 *   is public.
 * - NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are classified by the IPv4 address they embed: a
 *   public one stays reachable through them, a private one is refused.
 * - The local-use NAT64 prefix 64:ff9b:1::/48 and Teredo (2001::/32, inside 2001::/23) are always
 *   refused: the first is operator-local by definition, the second a tunnel whose client address is
 *   obfuscated and which no web server is reached through in practice.
 * - Any IPv6 address outside 2000::/3 (global unicast) is refused unless listed above (for example
 *   100::/64 discard-only and 5f00::/16 SRv6).
 * - Zone ids (fe80::1%eth0) are dropped before classifying; any address that does not parse is
 *   `invalid` and refused.
 */
import { isIP, isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What kind of address an IP is; only `public` may be connected to without an allow-list entry. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade-nat'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'invalid';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function cidr(text: string): Cidr {
  return ipaddr.parseCIDR(text);
}

/** IPv4 ranges in match order (first hit wins, so narrower ranges come before wider ones). */
const IPV4_RANGES: ReadonlyArray<readonly [Cidr, AddressClass]> = [
  [cidr('0.0.0.0/32'), 'unspecified'],
  [cidr('0.0.0.0/8'), 'reserved'], // "this network" (RFC 791); Linux connects 0.x to the local host
  [cidr('10.0.0.0/8'), 'private'],
  [cidr('100.64.0.0/10'), 'carrier-grade-nat'],
  [cidr('127.0.0.0/8'), 'loopback'],
  [cidr('169.254.0.0/16'), 'link-local'], // includes the cloud metadata service 169.254.169.254
  [cidr('172.16.0.0/12'), 'private'],
  [cidr('192.0.0.0/24'), 'reserved'], // IETF protocol assignments (RFC 6890)
  [cidr('192.0.2.0/24'), 'documentation'], // TEST-NET-1
  [cidr('192.88.99.0/24'), 'reserved'], // deprecated 6to4 relay anycast (RFC 7526)
  [cidr('192.168.0.0/16'), 'private'],
  [cidr('198.18.0.0/15'), 'benchmarking'],
  [cidr('198.51.100.0/24'), 'documentation'], // TEST-NET-2
  [cidr('203.0.113.0/24'), 'documentation'], // TEST-NET-3
  [cidr('224.0.0.0/4'), 'multicast'],
  [cidr('255.255.255.255/32'), 'broadcast'],
  [cidr('240.0.0.0/4'), 'reserved'],
];

/** IPv6 ranges that need no look at an embedded IPv4 address, in match order. */
const IPV6_RANGES: ReadonlyArray<readonly [Cidr, AddressClass]> = [
  [cidr('::/128'), 'unspecified'],
  [cidr('::1/128'), 'loopback'],
  [cidr('64:ff9b:1::/48'), 'reserved'], // local-use NAT64 (RFC 8215)
  [cidr('2001:db8::/32'), 'documentation'],
  [cidr('2001:2::/48'), 'benchmarking'],
  [cidr('2001::/23'), 'reserved'], // IETF protocol assignments, including Teredo 2001::/32
  [cidr('3fff::/20'), 'documentation'], // RFC 9637
  [cidr('fc00::/7'), 'private'], // unique local
  [cidr('fec0::/10'), 'private'], // deprecated site-local
  [cidr('fe80::/10'), 'link-local'],
  [cidr('ff00::/8'), 'multicast'],
];

const GLOBAL_UNICAST_V6 = cidr('2000::/3');
const MAPPED_V6 = cidr('::ffff:0:0/96');
const COMPATIBLE_V6 = cidr('::/96');
const TRANSLATED_V6 = cidr('::ffff:0:0:0/96');
const NAT64_V6 = cidr('64:ff9b::/96');
const SIX_TO_FOUR_V6 = cidr('2002::/16');

function v4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function classifyV4(address: ipaddr.IPv4): AddressClass {
  for (const [range, addressClass] of IPV4_RANGES) {
    if (address.match(range)) return addressClass;
  }
  return 'public';
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  const p = address.parts as [number, number, number, number, number, number, number, number];
  // Forms carrying an IPv4 address in their last 32 bits.
  if (address.match(MAPPED_V6)) return classifyV4(v4FromParts(p[6], p[7]));
  if (address.match(NAT64_V6)) return classifyV4(v4FromParts(p[6], p[7]));
  if (address.match(TRANSLATED_V6) || (address.match(COMPATIBLE_V6) && !isUnspecifiedOrLoopback(p))) {
    const embedded = classifyV4(v4FromParts(p[6], p[7]));
    return embedded === 'public' ? 'reserved' : embedded;
  }
  // 6to4 carries the IPv4 address in bits 16..47.
  if (address.match(SIX_TO_FOUR_V6)) return classifyV4(v4FromParts(p[1], p[2]));
  for (const [range, addressClass] of IPV6_RANGES) {
    if (address.match(range)) return addressClass;
  }
  return address.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
}

function isUnspecifiedOrLoopback(p: readonly number[]): boolean {
  return p.slice(0, 7).every((part) => part === 0) && (p[7] === 0 || p[7] === 1);
}

/** Removes `[...]` around an IPv6 literal and a `%zone` suffix. */
function bareAddress(ip: string): string {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  return zone === -1 ? text : text.slice(0, zone);
}

/**
 * Parses a canonical IP address (dotted-quad IPv4 or any IPv6 spelling, brackets and zone allowed).
 * Returns `undefined` for anything else, including legacy IPv4 spellings such as `0x7f.1`: those
 * must go through `new URL()` first, which normalises them.
 */
function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const text = bareAddress(ip);
  const version = isIP(text);
  if (version === 4) return ipaddr.IPv4.parse(text);
  if (version !== 6) return undefined;
  // ipaddr.js reads a dotted IPv4 tail as IPv4-mapped (`::8.8.8.8` becomes `::ffff:8.8.8.8`);
  // the WHATWG serialiser turns the tail into hex first, so the bits are parsed as written.
  return ipaddr.IPv6.parse(new URL(`http://[${text}]/`).hostname.slice(1, -1));
}

/** Classifies an IP address; see the module comment for the ranges. Never throws. */
export function classifyAddress(ip: string): AddressClass {
  const address = parseIp(ip);
  if (address === undefined) return 'invalid';
  return address.kind() === 'ipv4' ? classifyV4(address as ipaddr.IPv4) : classifyV6(address as ipaddr.IPv6);
}

/** True when `host` (a URL host name, brackets allowed) is an IP literal rather than a name. */
export function isIpLiteral(host: string): boolean {
  return isIP(bareAddress(host)) !== 0;
}

/** One parsed allow-list entry. */
export type AllowEntry =
  | { readonly kind: 'host'; readonly host: string; readonly port: number | undefined; readonly text: string }
  | { readonly kind: 'cidr'; readonly range: Cidr; readonly port: number | undefined; readonly text: string };

/** Addresses the operator allows despite the guard (`DISTILL_FETCH_ALLOW`). */
export interface AllowList {
  readonly entries: readonly AllowEntry[];
}

/** The allow list that allows nothing. */
export const EMPTY_ALLOW_LIST: AllowList = Object.freeze({ entries: Object.freeze([]) });

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function normaliseHostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Maps an IPv4-mapped IPv6 address to its IPv4 form so that v4 entries match it. */
function unmap(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

function parsePort(text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw invalidEntry(entry, `port \`${text}\` is not an integer from 1 to 65535`);
  }
  return port;
}

function invalidEntry(entry: string, why: string): TypeError {
  return new TypeError(`Invalid fetch allow-list entry \`${entry}\`: ${why}`);
}

function parseEntry(entry: string): AllowEntry {
  if (entry.includes('://'))
    throw invalidEntry(entry, 'write a host, host:port, IP or CIDR, without a scheme');

  // CIDR: v4 or v6, no port.
  if (entry.includes('/')) {
    const [ip = '', bits = '', ...rest] = entry.split('/');
    if (rest.length > 0 || isIP(ip) === 0) throw invalidEntry(entry, `\`${ip}\` is not an IP address`);
    const max = isIPv4(ip) ? 32 : 128;
    const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= max)) {
      throw invalidEntry(entry, `prefix length \`${bits}\` is not an integer from 0 to ${max}`);
    }
    return { kind: 'cidr', range: [unmap(parseIp(ip)!), prefix], port: undefined, text: entry };
  }

  let host = entry;
  let port: number | undefined;
  if (entry.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
    if (match === null) throw invalidEntry(entry, 'expected `[IPv6]` or `[IPv6]:port`');
    host = match[1] ?? '';
    if (isIP(host) !== 6) throw invalidEntry(entry, `\`${host}\` is not an IPv6 address`);
    if (match[2] !== undefined) port = parsePort(match[2], entry);
  } else if (entry.split(':').length === 2) {
    const [name = '', portText = ''] = entry.split(':');
    host = name;
    port = parsePort(portText, entry);
  }

  if (isIP(host) !== 0) {
    const address = unmap(parseIp(host)!);
    const bits = address.kind() === 'ipv4' ? 32 : 128;
    return { kind: 'cidr', range: [address, bits], port, text: entry };
  }
  const name = normaliseHostName(host);
  // A name whose last label is numeric is an IPv4 address to URL parsers, just a malformed one.
  if (/^(?:0x[0-9a-f]*|\d+)$/.test(name.split('.').pop() ?? '')) {
    throw invalidEntry(
      entry,
      'looks like an IPv4 address but is not a dotted quad; write it as four decimal numbers',
    );
  }
  if (!HOST_NAME.test(name)) {
    throw invalidEntry(entry, 'not a valid host name, host:port, IP address or CIDR range');
  }
  return { kind: 'host', host: name, port, text: entry };
}

/**
 * Parses a comma-separated allow list: each entry a host name (`intranet.local`), `host:port`,
 * IP (`10.0.0.5`, `::1`, `[::1]:8080`, `127.0.0.1:3000`) or CIDR (`10.0.0.0/8`, `fd00::/8`).
 * Blank entries are ignored. Throws `TypeError` naming the first bad entry.
 */
export function parseAllowList(text: string | undefined): AllowList {
  if (text === undefined) return EMPTY_ALLOW_LIST;
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseEntry);
  return Object.freeze({ entries: Object.freeze(entries) });
}

/**
 * True when the allow list exempts a connection to `ip`:`port`, reached through the URL host
 * `hostname` (a host-name entry exempts whatever that name resolves to).
 */
export function isAllowed(allow: AllowList, ip: string, port: number, hostname?: string): boolean {
  if (allow.entries.length === 0) return false;
  const parsed = parseIp(ip);
  const address = parsed === undefined ? undefined : unmap(parsed);
  const name = hostname === undefined ? undefined : normaliseHostName(bareAddress(hostname));
  return allow.entries.some((entry) => {
    if (entry.port !== undefined && entry.port !== port) return false;
    if (entry.kind === 'host') return entry.host === name;
    return address !== undefined && address.kind() === entry.range[0].kind() && address.match(entry.range);
  });
}

/**
 * True when the guard refuses a connection to `ip`:`port`: the address is not public and no
 * allow-list entry exempts it. `hostname` is the URL's host, for host-name entries.
 */
export function isBlockedAddress(ip: string, port: number, allow: AllowList, hostname?: string): boolean {
  return classifyAddress(ip) !== 'public' && !isAllowed(allow, ip, port, hostname);
}
