/**
 * The guard's name resolution against real servers on loopback: localhost names (RFC 6761) are
 * loopback without any lookup, and a name resolved by a real DNS server (`DISTILL_DNS_SERVERS`)
 * that changes its answer between queries (DNS rebinding) is only ever connected to at the
 * address that was checked. "Allowed" and "canary" are two loopback addresses: the allow list
 * admits 127.0.0.1:<port> only, and a server on 127.0.0.2:<same port> counts connections that
 * must never come.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDnsLookup,
  HttpFetcher,
  type HttpFetcherOptions,
  type LookupFunction,
} from '../../src/fetch/index.js';
import { parseDnsServers } from '../../src/lib/index.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

interface CountingServer {
  server: Server;
  port: number;
  connections: number;
}

async function startCountingServer(host: string, port = 0, body = 'ok'): Promise<CountingServer> {
  const counting: CountingServer = {
    server: createServer((_request, response) => response.end(body)),
    port: 0,
    connections: 0,
  };
  counting.server.on('connection', () => (counting.connections += 1));
  counting.server.listen(port, host);
  await once(counting.server, 'listening');
  counting.port = (counting.server.address() as AddressInfo).port;
  return counting;
}

async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('Expected the fetch to fail');
}

let allowed: CountingServer;
let canary: CountingServer;
let dns: TestDnsServer;
const fetchers: HttpFetcher[] = [];
const lookups: string[] = [];
const spyLookup: LookupFunction = (hostname) => {
  lookups.push(hostname);
  return Promise.reject(
    Object.assign(new Error(`no lookup expected for ${hostname}`), { code: 'ENOTFOUND' }),
  );
};

function fetcher(options: HttpFetcherOptions): HttpFetcher {
  const created = new HttpFetcher({ respectRobots: false, connectTimeoutMs: 2000, ...options });
  fetchers.push(created);
  return created;
}

beforeAll(async () => {
  allowed = await startCountingServer('127.0.0.1', 0, 'allowed');
  canary = await startCountingServer('127.0.0.2', allowed.port, 'canary');
  dns = await startDnsServer((name, type, queryNumber) => {
    if (type === 'AAAA') return [];
    if (name === 'rebind.test') return [queryNumber === 1 ? '127.0.0.1' : '127.0.0.2'];
    if (name === 'mixed.test') return ['127.0.0.1', '127.0.0.2'];
    if (name === 'allowed.test') return ['127.0.0.1'];
    if (name === 'vm.test') return ['127.0.0.9'];
    return undefined;
  });
});

afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((f) => f.close()));
  lookups.length = 0;
});

afterAll(async () => {
  await dns.close();
  for (const counting of [allowed, canary]) {
    counting.server.closeAllConnections();
    counting.server.close();
  }
});

describe('localhost names (RFC 6761)', () => {
  const names = ['localhost', 'localhost.', 'a.localhost', 'A.B.LOCALHOST.', 'x.localhost.'];

  it.each(names)('refuses %s as loopback before any lookup or connection', async (name) => {
    const before = allowed.connections;
    const error = await failure(fetcher({ lookup: spyLookup }).fetch(`http://${name}:${allowed.port}/`));
    expect(error).toMatchObject({ code: 'blocked_address', addressClass: 'loopback' });
    expect(error.message).toBe(
      `Refused to connect to ${name.toLowerCase()}: the name resolves to a loopback address, not a public one. To permit it, add ${name.toLowerCase()}:${allowed.port} to DISTILL_FETCH_ALLOW (or --fetch-allow)`,
    );
    expect(lookups).toEqual([]);
    expect(allowed.connections).toBe(before);
  });

  it.each(names)(
    'fetches %s from loopback, without DNS, when the allow list permits loopback there',
    async (name) => {
      const response = await fetcher({ lookup: spyLookup, allow: `127.0.0.1:${allowed.port}` }).fetch(
        `http://${name}:${allowed.port}/`,
      );
      expect(Buffer.from(response.body).toString()).toBe('allowed');
      expect(lookups).toEqual([]);
    },
  );

  it('is also allowed by a host-name entry, and still refused on another port', async () => {
    const byName = fetcher({ lookup: spyLookup, allow: `localhost:${allowed.port}` });
    expect(Buffer.from((await byName.fetch(`http://localhost.:${allowed.port}/`)).body).toString()).toBe(
      'allowed',
    );
    expect(await failure(byName.fetch(`http://localhost:${allowed.port + 1}/`))).toMatchObject({
      code: 'blocked_address',
    });
    expect(lookups).toEqual([]);
  });
});

describe('names resolved by the configured DNS servers', () => {
  const lookup = (): LookupFunction => createDnsLookup(parseDnsServers(dns.address), { timeoutMs: 2000 });

  it('connects only to the address it checked when a name rebinds to a canary address', async () => {
    const allow = `127.0.0.1:${allowed.port}`;
    const url = `http://rebind.test:${allowed.port}/`;
    const queriesBefore = dns.queries.filter((q) => q === 'A rebind.test').length;
    // First query: 127.0.0.1, allowed. One lookup, one connection, to that address.
    const first = await fetcher({ lookup: lookup(), allow }).fetch(url);
    expect(Buffer.from(first.body).toString()).toBe('allowed');
    expect(dns.queries.filter((q) => q === 'A rebind.test').length - queriesBefore).toBe(1);
    // Every later query answers the canary: refused, and the canary never sees a connection.
    for (let i = 0; i < 3; i++) {
      expect(await failure(fetcher({ lookup: lookup(), allow }).fetch(url))).toMatchObject({
        code: 'blocked_address',
      });
    }
    expect(canary.connections).toBe(0);
  });

  it('refuses a name whose one answer mixes an allowed and a canary address, connecting to neither', async () => {
    const before = allowed.connections;
    const error = await failure(
      fetcher({ lookup: lookup(), allow: `127.0.0.1:${allowed.port}` }).fetch(
        `http://mixed.test:${allowed.port}/`,
      ),
    );
    expect(error).toMatchObject({ code: 'blocked_address', address: '127.0.0.2' });
    expect(allowed.connections).toBe(before);
    expect(canary.connections).toBe(0);
  });

  it('never says in the error what a name resolved to', async () => {
    const error = await failure(fetcher({ lookup: lookup() }).fetch('http://vm.test/'));
    expect(error).toMatchObject({ code: 'blocked_address', address: '127.0.0.9' });
    expect(error.message).not.toContain('127.0.0.9');
    expect(error.message).toContain('vm.test');
  });

  it('maps NXDOMAIN to dns_error and asks the servers, not /etc/hosts', async () => {
    const error = await failure(fetcher({ lookup: lookup() }).fetch('http://missing.test/'));
    expect(error).toMatchObject({ code: 'dns_error' });
    expect(dns.queries).toContain('A missing.test');
    // "localhost" is never sent to the servers.
    await failure(fetcher({ lookup: lookup() }).fetch('http://localhost./'));
    expect(dns.queries.some((q) => q.endsWith('localhost'))).toBe(false);
  });

  it('resolves a name the servers know, for the allow list to admit', async () => {
    const response = await fetcher({ lookup: lookup(), allow: `127.0.0.1:${allowed.port}` }).fetch(
      `http://allowed.test:${allowed.port}/`,
    );
    expect(Buffer.from(response.body).toString()).toBe('allowed');
    expect(canary.connections).toBe(0);
  });
});
