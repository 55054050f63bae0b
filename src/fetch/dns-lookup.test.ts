import { describe, expect, it } from 'vitest';
import { parseAllowList } from './address-guard.js';
import { isLocalhostName, localhostAddresses, systemLookup } from './dns-lookup.js';
import { BlockedAddressError } from './errors.js';

describe('localhost names', () => {
  it.each(['localhost', 'localhost.', 'LocalHost', 'a.localhost', 'a.b.localhost.'])(
    'knows %s is loopback',
    (name) => {
      expect(isLocalhostName(name)).toBe(true);
    },
  );

  it.each(['localhost.test', 'notlocalhost', 'localhost..', 'xlocalhost', '127.0.0.1', ''])(
    'knows %s is not',
    (name) => {
      expect(isLocalhostName(name)).toBe(false);
    },
  );

  it('resolves them to 127.0.0.1 and ::1 in the system lookup, without asking getaddrinfo', async () => {
    expect(await systemLookup('a.localhost.', { all: true })).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  });

  it('gives the loopback addresses the allow list permits, or refuses the name', () => {
    expect(localhostAddresses('localhost', 3000, parseAllowList('127.0.0.1:3000'))).toEqual(['127.0.0.1']);
    expect(localhostAddresses('a.localhost', 3000, parseAllowList('a.localhost'))).toEqual([
      '127.0.0.1',
      '::1',
    ]);
    expect(localhostAddresses('localhost.', 80, parseAllowList('::1'))).toEqual(['::1']);
    expect(() => localhostAddresses('localhost', 3001, parseAllowList('127.0.0.1:3000'))).toThrow(
      BlockedAddressError,
    );
  });
});
