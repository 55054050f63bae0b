import { describe, expect, it } from 'vitest';
import {
  bestDomainRule,
  domainPatternMatches,
  DomainRuleResolver,
  InvalidDomainRuleError,
  normaliseDomainPattern,
  parseDomainRule,
  parseDomainsConfig,
} from './domain-rules.js';
import { MemoryHostLimiter } from './memory-host-limiter.js';

describe('domain rules', () => {
  it('matches exact hosts and wildcards of subdomains (not the apex), the most specific winning', () => {
    expect(normaliseDomainPattern(' Example.COM. ')).toBe('example.com');
    expect(() => normaliseDomainPattern('*.*.example.com')).toThrow(InvalidDomainRuleError);
    expect(() => normaliseDomainPattern('exa mple.com')).toThrow(/not a host name/);
    expect(domainPatternMatches('example.com', 'EXAMPLE.com')).toBe(true);
    expect(domainPatternMatches('example.com', 'www.example.com')).toBe(false);
    expect(domainPatternMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(domainPatternMatches('*.example.com', 'example.com')).toBe(false);
    expect(domainPatternMatches('*.example.com', 'badexample.com')).toBe(false);
    const rules = [
      { pattern: '*.example.com' },
      { pattern: '*.shop.example.com' },
      { pattern: 'a.shop.example.com' },
    ];
    expect(bestDomainRule(rules, 'a.shop.example.com')?.pattern).toBe('a.shop.example.com');
    expect(bestDomainRule(rules, 'b.shop.example.com')?.pattern).toBe('*.shop.example.com');
    expect(bestDomainRule(rules, 'www.example.com')?.pattern).toBe('*.example.com');
    expect(bestDomainRule(rules, 'other.org')).toBeUndefined();
  });

  it('checks settings, and reads DISTILL_DOMAINS without echoing header values', () => {
    expect(
      parseDomainRule({ ratePerSecond: 0.5, render: 'auto' }, { pattern: '*.a.com', poolNames: [] }),
    ).toEqual({ pattern: '*.a.com', ratePerSecond: 0.5, render: 'auto' });
    expect(() => parseDomainRule({ pattern: 'b.com' }, { pattern: 'a.com', poolNames: [] })).toThrow(
      /differs/,
    );
    expect(() =>
      parseDomainRule({ headers: { 'Transfer-Encoding': 'chunked' } }, { pattern: 'a.com', poolNames: [] }),
    ).toThrow(/may not be set/);
    expect(() => parseDomainsConfig('[{"pattern":"a.com"},{"pattern":"A.com"}]')).toThrow(/given twice/);
    expect(() => parseDomainsConfig('[{"pattern":"a.com","proxyPool":"x"}]', ['main'])).toThrow(
      /no proxy pool is named `x`/,
    );
    try {
      parseDomainsConfig('[{"pattern":"a.com","headers":{"X-Key":"hunter2\\n"}}]');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(() => parseDomainsConfig('/nonexistent/rules.json')).toThrow(/cannot read the rules file/);
    expect(parseDomainsConfig('')).toEqual([]);
  });

  it("prefers a tenant's rule, and caps a tenant's limits at the deployment's", async () => {
    const resolver = new DomainRuleResolver({
      config: [
        { pattern: '*.example.com', concurrency: 50, render: 'always' },
        { pattern: 'a.example.com', timeoutMs: 100 },
      ],
      source: {
        tenantOfJob: (id) => Promise.resolve(id === 'j1' ? 'acme' : null),
        listDomainRules: () =>
          Promise.resolve([{ pattern: '*.example.com', concurrency: 50, ratePerSecond: 100 }]),
      },
      defaults: { maxInFlight: 4, ratePerSecond: 2, burst: 4 },
    });
    expect(await resolver.forJob('j1', 'www.example.com')).toEqual({
      pattern: '*.example.com',
      source: 'tenant',
      limits: { maxInFlight: 4, ratePerSecond: 2, burst: 2 },
    });
    // The configuration's exact host is more specific than the tenant's wildcard.
    expect(await resolver.forJob('j1', 'a.example.com')).toEqual({
      pattern: 'a.example.com',
      source: 'config',
      timeoutMs: 100,
    });
    // A configuration rule may raise limits; it is the operator's.
    expect((await resolver.forJob('gone', 'www.example.com'))?.limits).toEqual({
      maxInFlight: 50,
      ratePerSecond: 2,
      burst: 4,
    });
    expect(await resolver.forJob('j1', 'other.org')).toBeUndefined();
  });

  it("keeps a rule's host limits apart from the limiter's own", async () => {
    const limiter = new MemoryHostLimiter({ maxInFlightPerHost: 5, ratePerSecond: 100, burst: 10 });
    const limits = { maxInFlight: 1, ratePerSecond: 100, burst: 10 };
    const first = await limiter.tryAcquire('a.example.com', limits);
    expect(first.isGranted).toBe(true);
    expect((await limiter.tryAcquire('a.example.com', limits)).isGranted).toBe(false);
    expect((await limiter.tryAcquire('a.example.com')).isGranted).toBe(true);
    if (first.isGranted) await first.release();
    expect((await limiter.tryAcquire('a.example.com', limits)).isGranted).toBe(true);
  });
});
