import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  EMPTY_ALLOW_LIST,
  isAllowed,
  isBlockedAddress,
  isIpLiteral,
  parseAllowList,
  type AddressClass,
} from './address-guard.js';

// Classifier only: nothing here opens a socket or resolves a name.
const TABLE: ReadonlyArray<readonly [string, AddressClass]> = [
  // IPv4 public
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.216.34', 'public'],
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['100.128.0.0', 'public'],
  ['192.169.0.1', 'public'],
  ['223.255.255.255', 'public'],
  // IPv4 special
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'reserved'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['100.127.255.255', 'carrier-grade-nat'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['192.88.99.1', 'reserved'],
  // IPv6 public
  ['2606:4700:4700::1111', 'public'],
  ['2a00:1450:4001:80b::200e', 'public'],
  // IPv6 special
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fec0::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
  ['2001:10::1', 'reserved'], // ORCHID, inside 2001::/23
  ['100::1', 'reserved'], // discard-only
  ['5f00::1', 'reserved'], // SRv6, outside 2000::/3
  ['64:ff9b:1::a00:1', 'reserved'], // local-use NAT64
  // IPv4-mapped, -compatible and -translated forms
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['::ffff:8.8.8.8', 'public'],
  ['::127.0.0.1', 'loopback'],
  ['::7f00:1', 'loopback'],
  ['::10.1.2.3', 'private'],
  ['::8.8.8.8', 'reserved'],
  ['::ffff:0:127.0.0.1', 'loopback'],
  ['::ffff:0:8.8.8.8', 'reserved'],
  // NAT64 and 6to4 embedding an IPv4 address
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b::808:808', 'public'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:c0a8:101::1', 'private'],
  ['2002:808:808::1', 'public'],
  // Not addresses
  ['localhost', 'invalid'],
  ['example.com', 'invalid'],
  ['0x7f.1', 'invalid'],
  ['127.1', 'invalid'],
  ['2130706433', 'invalid'],
  ['', 'invalid'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('classifies %s as %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it('blocks every non-public class and lets public through', () => {
    for (const [ip, addressClass] of TABLE) {
      expect(isBlockedAddress(ip, 80, EMPTY_ALLOW_LIST), ip).toBe(addressClass !== 'public');
    }
  });
});

describe('numeric host spellings through new URL()', () => {
  // WHATWG URL parsing normalises legacy IPv4 spellings; the guard relies on it.
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://127.0.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[::127.0.0.1]/', '[::7f00:1]'],
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
  ])('%s has host %s, which the guard refuses', (url, host) => {
    const { hostname } = new URL(url);
    expect(hostname).toBe(host);
    expect(isIpLiteral(hostname)).toBe(true);
    expect(classifyAddress(hostname)).not.toBe('public');
    expect(isBlockedAddress(hostname, 80, EMPTY_ALLOW_LIST)).toBe(true);
  });
});

describe('parseAllowList', () => {
  it('parses host names, host:port, IPs, [IPv6]:port and CIDRs, ignoring blanks', () => {
    const list = parseAllowList(
      ' intranet.local , localhost:3000,10.0.0.5, 127.0.0.1:8080,::1,[::1]:9000,10.0.0.0/8,fd00::/8,,',
    );
    expect(list.entries.map((entry) => entry.text)).toEqual([
      'intranet.local',
      'localhost:3000',
      '10.0.0.5',
      '127.0.0.1:8080',
      '::1',
      '[::1]:9000',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(list.entries[1]).toMatchObject({ kind: 'host', host: 'localhost', port: 3000 });
    expect(list.entries[3]).toMatchObject({ kind: 'cidr', port: 8080 });
  });

  it('treats undefined and an empty string as an empty list', () => {
    expect(parseAllowList(undefined).entries).toEqual([]);
    expect(parseAllowList('').entries).toEqual([]);
  });

  it.each([
    ['http://localhost', /without a scheme/],
    ['10.0.0.0/33', /prefix length `33`/],
    ['fd00::/129', /prefix length `129`/],
    ['10.0.0.0/x', /prefix length `x`/],
    ['foo/8', /`foo` is not an IP address/],
    ['localhost:0', /port `0`/],
    ['localhost:65536', /port `65536`/],
    ['localhost:http', /port `http`/],
    ['[::1', /expected `\[IPv6\]`/],
    ['[10.0.0.1]:80', /not an IPv6 address/],
    ['127.1', /dotted quad/],
    ['0x7f.0.0.1', /dotted quad/],
    ['256.1.1.1', /dotted quad/],
    ['bad_host!', /not a valid host name/],
    ['*.example.com', /not a valid host name/],
  ])('rejects %s with a TypeError naming it', (entry, message) => {
    expect(() => parseAllowList(`ok.example,${entry}`)).toThrow(TypeError);
    expect(() => parseAllowList(entry)).toThrow(message);
    expect(() => parseAllowList(entry)).toThrow(`\`${entry}\``);
  });
});

describe('allow-list matching', () => {
  const list = parseAllowList('intranet.local,localhost:3000,127.0.0.1:8080,10.0.0.0/8,fd00::/8,[::1]:9000');

  it('exempts an IP inside a CIDR on any port', () => {
    expect(isBlockedAddress('10.1.2.3', 80, list)).toBe(false);
    expect(isBlockedAddress('10.1.2.3', 4444, list)).toBe(false);
    expect(isBlockedAddress('fd00::5', 443, list)).toBe(false);
    expect(isBlockedAddress('192.168.0.1', 80, list)).toBe(true);
    expect(isBlockedAddress('fe80::1', 80, list)).toBe(true);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 entries', () => {
    expect(isBlockedAddress('::ffff:10.9.9.9', 80, list)).toBe(false);
    expect(isBlockedAddress('::ffff:7f00:1', 8080, list)).toBe(false);
    expect(isBlockedAddress('::ffff:7f00:1', 8081, list)).toBe(true);
  });

  it('exempts an IP:port only on that port', () => {
    expect(isBlockedAddress('127.0.0.1', 8080, list)).toBe(false);
    expect(isBlockedAddress('127.0.0.1', 8081, list)).toBe(true);
    expect(isBlockedAddress('127.0.0.2', 8080, list)).toBe(true);
    expect(isBlockedAddress('::1', 9000, list)).toBe(false);
    expect(isBlockedAddress('::1', 9001, list)).toBe(true);
  });

  it('exempts whatever a listed host name resolves to, on the listed port if any', () => {
    expect(isBlockedAddress('192.168.1.10', 80, list, 'intranet.local')).toBe(false);
    expect(isBlockedAddress('192.168.1.10', 80, list, 'INTRANET.local.')).toBe(false);
    expect(isBlockedAddress('192.168.1.10', 80, list, 'other.local')).toBe(true);
    expect(isBlockedAddress('127.0.0.1', 3000, list, 'localhost')).toBe(false);
    expect(isBlockedAddress('127.0.0.1', 3001, list, 'localhost')).toBe(true);
  });

  it('never needs the allow list for public addresses', () => {
    expect(isAllowed(EMPTY_ALLOW_LIST, '8.8.8.8', 80)).toBe(false);
    expect(isBlockedAddress('8.8.8.8', 80, EMPTY_ALLOW_LIST)).toBe(false);
  });
});
