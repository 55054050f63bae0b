import { describe, expect, it } from 'vitest';
import { parseDnsServers } from './dns-servers.js';

describe('parseDnsServers', () => {
  it('reads IPs with optional ports, IPv6 in brackets when a port follows', () => {
    expect(parseDnsServers(' 1.1.1.1, 127.0.0.1:5353 ,::1,[::1]:5300,,')).toEqual([
      '1.1.1.1',
      '127.0.0.1:5353',
      '::1',
      '[::1]:5300',
    ]);
    expect(parseDnsServers('')).toEqual([]);
  });

  it.each([
    ['dns.example', /expected an IP address/],
    ['dns.example:53', /is not an IPv4 address/],
    ['127.0.0.1:0', /port `0`/],
    ['127.0.0.1:dns', /port `dns`/],
    ['[127.0.0.1]:53', /not an IPv6 address/],
  ])('refuses %s', (entry, reason) => {
    expect(() => parseDnsServers(entry)).toThrow(reason);
  });
});
