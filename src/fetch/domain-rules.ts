/**
 * Per-domain settings (issue 20): rules per host pattern (`example.com` exactly, or `*.example.com`
 * for its subdomains) that set the rate, concurrency, render mode, headers, robots.txt policy,
 * proxy pool and timeout of the fetches of the hosts they match.
 *
 * Rules come from the configuration (`DISTILL_DOMAINS`, for every tenant) and from each tenant
 * (`/v1/domains`, stored with its headers sealed). A tenant's rule replaces a configured rule of
 * the same pattern; among the rules that match a host the most specific wins: an exact host, then
 * the wildcard with the longest suffix. What a rule sets wins over the job's own option.
 */
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/secret-box.js';
import {
  InvalidRequestSecretError,
  openRequestSecrets,
  parseRequestSecrets,
  sealRequestSecrets,
  type SealedRequestSecrets,
} from './request-secrets.js';

export const DOMAIN_RENDER_MODES = ['never', 'auto', 'always'] as const;
export const DOMAIN_ROBOTS_POLICIES = ['respect', 'ignore'] as const;

/** A rule as a client or the configuration writes it. */
export interface DomainRuleInput {
  pattern?: unknown;
  ratePerSecond?: unknown;
  concurrency?: unknown;
  render?: unknown;
  headers?: unknown;
  robots?: unknown;
  proxyPool?: unknown;
  timeoutMs?: unknown;
}

/** A checked rule, its headers either in clear (configuration, in memory only) or sealed (stored). */
export interface DomainRule {
  pattern: string;
  ratePerSecond?: number;
  concurrency?: number;
  render?: (typeof DOMAIN_RENDER_MODES)[number];
  robots?: (typeof DOMAIN_ROBOTS_POLICIES)[number];
  proxyPool?: string;
  timeoutMs?: number;
  /** Sealed headers (tenant rules); names only are ever shown. */
  sealedHeaders?: SealedRequestSecrets;
  /** Headers in clear: configuration rules only, never stored. */
  headers?: Record<string, string>;
}

/** What the worker applies to one fetch. */
export interface AppliedDomainRule {
  pattern: string;
  source: 'config' | 'tenant';
  limits?: { maxInFlight: number; ratePerSecond: number; burst: number };
  render?: DomainRule['render'];
  robots?: DomainRule['robots'];
  proxyPool?: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** A rule that cannot be taken; `field` names the member (a JSON pointer). */
export class InvalidDomainRuleError extends TypeError {
  readonly code = 'invalid_domain_rule';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'InvalidDomainRuleError';
    this.field = field;
  }
}

const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
const HOST_PATTERN = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`);
const ALLOWED_KEYS = new Set([
  'pattern',
  'ratePerSecond',
  'concurrency',
  'render',
  'headers',
  'robots',
  'proxyPool',
  'timeoutMs',
]);

/** Most rules per tenant (and in the configuration). */
export const MAX_DOMAIN_RULES = 1000;

/** `Example.COM.` → `example.com`; `*.Example.com` → `*.example.com`; throws for anything else. */
export function normaliseDomainPattern(pattern: unknown): string {
  if (typeof pattern !== 'string')
    throw new InvalidDomainRuleError('/pattern', 'expected a host name (`example.com`) or `*.example.com`');
  const text = pattern.trim().toLowerCase().replace(/\.$/, '');
  if (text.length > 253 || !HOST_PATTERN.test(text)) {
    throw new InvalidDomainRuleError(
      '/pattern',
      `\`${text.slice(0, 80)}\` is not a host name (\`example.com\`) or a wildcard of its subdomains (\`*.example.com\`)`,
    );
  }
  return text;
}

/** Does `pattern` match `hostname` (no port)? `*.example.com` matches its subdomains, not `example.com` itself. */
export function domainPatternMatches(pattern: string, hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/** The most specific of `rules` that matches `hostname`: the exact host, else the longest wildcard. */
export function bestDomainRule<R extends { pattern: string }>(
  rules: readonly R[],
  hostname: string,
): R | undefined {
  let best: R | undefined;
  for (const rule of rules) {
    if (!domainPatternMatches(rule.pattern, hostname)) continue;
    if (!rule.pattern.startsWith('*.')) return rule;
    if (best === undefined || rule.pattern.length > best.pattern.length) best = rule;
  }
  return best;
}

function positiveNumber(field: string, value: unknown, max: number, isInteger: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > max ||
    (isInteger && !Number.isInteger(value))
  ) {
    throw new InvalidDomainRuleError(
      field,
      `expected a positive ${isInteger ? 'integer' : 'number'} of at most ${max}`,
    );
  }
  return value;
}

/**
 * Checks a rule. `pattern` comes from the path when given; `poolNames` are the proxy pools a rule
 * may name. Headers are checked as a job's are (request-secrets.ts) and returned in clear: the
 * caller seals them (`sealDomainHeaders`) or keeps them in memory (configuration).
 */
export function parseDomainRule(
  input: unknown,
  options: { pattern?: string; poolNames?: readonly string[] | undefined },
): DomainRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidDomainRuleError('', 'expected a JSON object');
  const raw = input as DomainRuleInput & Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!ALLOWED_KEYS.has(key))
      throw new InvalidDomainRuleError(
        `/${key}`,
        `unknown setting \`${key.slice(0, 64)}\` (one of ${[...ALLOWED_KEYS].join(', ')})`,
      );
  }
  const pattern = normaliseDomainPattern(options.pattern ?? raw.pattern);
  if (
    options.pattern !== undefined &&
    raw.pattern !== undefined &&
    normaliseDomainPattern(raw.pattern) !== pattern
  ) {
    throw new InvalidDomainRuleError('/pattern', 'differs from the pattern in the path');
  }
  const rule: DomainRule = { pattern };
  if (raw.ratePerSecond !== undefined)
    rule.ratePerSecond = positiveNumber('/ratePerSecond', raw.ratePerSecond, 10_000, false);
  if (raw.concurrency !== undefined)
    rule.concurrency = positiveNumber('/concurrency', raw.concurrency, 1000, true);
  if (raw.timeoutMs !== undefined)
    rule.timeoutMs = positiveNumber('/timeoutMs', raw.timeoutMs, 600_000, true);
  if (raw.render !== undefined) {
    if (!(DOMAIN_RENDER_MODES as readonly unknown[]).includes(raw.render))
      throw new InvalidDomainRuleError('/render', `expected one of ${DOMAIN_RENDER_MODES.join(', ')}`);
    rule.render = raw.render as DomainRule['render'];
  }
  if (raw.robots !== undefined) {
    if (!(DOMAIN_ROBOTS_POLICIES as readonly unknown[]).includes(raw.robots))
      throw new InvalidDomainRuleError('/robots', `expected one of ${DOMAIN_ROBOTS_POLICIES.join(', ')}`);
    rule.robots = raw.robots as DomainRule['robots'];
  }
  if (raw.proxyPool !== undefined) {
    const names = options.poolNames;
    if (typeof raw.proxyPool !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(raw.proxyPool))
      throw new InvalidDomainRuleError('/proxyPool', 'expected the name of a proxy pool');
    if (names !== undefined && !names.includes(raw.proxyPool)) {
      throw new InvalidDomainRuleError(
        '/proxyPool',
        `no proxy pool is named \`${raw.proxyPool}\` (DISTILL_PROXY_POOLS${names.length === 0 ? ' defines none' : `: ${names.join(', ')}`})`,
      );
    }
    rule.proxyPool = raw.proxyPool;
  }
  if (raw.headers !== undefined) {
    if (typeof raw.headers !== 'object' || raw.headers === null || Array.isArray(raw.headers))
      throw new InvalidDomainRuleError('/headers', 'expected an object of header names to values');
    try {
      rule.headers = parseRequestSecrets({ headers: raw.headers as Record<string, string> }).headers;
    } catch (error) {
      if (error instanceof InvalidRequestSecretError)
        throw new InvalidDomainRuleError(error.field.replace('/options', ''), error.message);
      throw error;
    }
  }
  return rule;
}

/** Seals a rule's headers for storage (the clear ones dropped). */
export function sealDomainHeaders(box: SecretBox, rule: DomainRule): DomainRule {
  if (rule.headers === undefined) return rule;
  const { headers, ...rest } = rule;
  return { ...rest, sealedHeaders: sealRequestSecrets(box, { headers }) };
}

/** The wire form of a rule: headers by name, each `"[set]"`. */
export function domainRuleView(rule: DomainRule, source: 'config' | 'tenant'): Record<string, unknown> {
  const { headers, sealedHeaders, ...rest } = rule;
  const names = sealedHeaders?.headerNames ?? Object.keys(headers ?? {});
  return {
    ...rest,
    ...(names.length === 0 ? {} : { headers: Object.fromEntries(names.map((n) => [n, '[set]'])) }),
    source,
  };
}

/**
 * Parses `DISTILL_DOMAINS`: a JSON array of rules (headers in clear, kept in memory), or the path
 * of a file holding one (any value that does not start with `[`). `poolNames` unset: pool names
 * are not checked (the configuration check, before the pools are known).
 */
export function parseDomainsConfig(value: string, poolNames?: readonly string[]): DomainRule[] {
  let text = value.trim();
  if (text === '') return [];
  if (!text.startsWith('[')) {
    try {
      text = readFileSync(text, 'utf8');
    } catch (error) {
      throw new TypeError(
        `cannot read the rules file ${value.trim().slice(0, 200)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(
      'expected JSON: [{"pattern": "*.example.com", "ratePerSecond": 1, "concurrency": 2}]',
    );
  }
  if (!Array.isArray(parsed)) throw new TypeError('expected a JSON array of rules');
  if (parsed.length > MAX_DOMAIN_RULES)
    throw new TypeError(`has ${parsed.length} rules; at most ${MAX_DOMAIN_RULES}`);
  const seen = new Set<string>();
  return parsed.map((entry, index) => {
    try {
      const rule = parseDomainRule(entry, { poolNames });
      if (seen.has(rule.pattern))
        throw new InvalidDomainRuleError('/pattern', `\`${rule.pattern}\` is given twice`);
      seen.add(rule.pattern);
      return rule;
    } catch (error) {
      if (error instanceof InvalidDomainRuleError)
        throw new TypeError(`rule ${index} ${error.field}: ${error.message}`);
      throw error;
    }
  });
}

/** What the resolver reads of storage. */
export interface DomainRuleSource {
  tenantOfJob(jobId: string): Promise<string | null>;
  listDomainRules(tenant: string): Promise<DomainRule[]>;
}

/** Options of `DomainRuleResolver`. */
export interface DomainRuleResolverOptions {
  config: readonly DomainRule[];
  source?: DomainRuleSource | undefined;
  box?: SecretBox | undefined;
  /** The deployment's per-host limits: what a rule leaves unset, and the ceiling of a tenant's rule. */
  defaults: { maxInFlight: number; ratePerSecond: number; burst: number };
  /** How long a tenant's rules are cached in each process, in milliseconds. @default 2000 */
  ttlMs?: number;
  clock?: Clock;
}

const MAX_CACHED = 10_000;

/**
 * The rule that applies to a fetch of a job's host, in every process: the job's tenant and the
 * tenant's rules are read from the database and cached for `ttlMs` (the API process forgets its
 * cache on every change; other processes see a change within `ttlMs`).
 */
export class DomainRuleResolver {
  readonly #options: DomainRuleResolverOptions;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #tenants = new Map<string, string>();
  readonly #rules = new Map<string, { at: number; rules: Promise<DomainRule[]> }>();

  constructor(options: DomainRuleResolverOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether any rule can apply (no configuration rules and no store: never). */
  get isEmpty(): boolean {
    return this.#options.config.length === 0 && this.#options.source === undefined;
  }

  /** Forgets the cached rules of `tenant` (after a change through the API). */
  invalidate(tenant: string): void {
    this.#rules.delete(tenant);
  }

  async forJob(jobId: string, hostname: string): Promise<AppliedDomainRule | undefined> {
    if (this.isEmpty) return undefined;
    const tenant = await this.#tenantOf(jobId);
    const tenantRules = tenant === undefined ? [] : await this.#rulesOf(tenant);
    // Tenant rules first: the same pattern replaces the configuration's, and a tie goes to the tenant.
    const merged = [
      ...tenantRules,
      ...this.#options.config.filter((r) => !tenantRules.some((t) => t.pattern === r.pattern)),
    ];
    const pick = bestDomainRule(merged, hostname);
    if (pick === undefined) return undefined;
    return this.#apply(pick, tenantRules.includes(pick) ? 'tenant' : 'config');
  }

  #apply(rule: DomainRule, source: 'config' | 'tenant'): AppliedDomainRule {
    const { defaults } = this.#options;
    const applied: AppliedDomainRule = { pattern: rule.pattern, source };
    if (rule.ratePerSecond !== undefined || rule.concurrency !== undefined) {
      // A tenant may make a site's limits stricter than the deployment's, not looser.
      const cap = (value: number | undefined, fallback: number): number =>
        value === undefined ? fallback : source === 'tenant' ? Math.min(value, fallback) : value;
      const ratePerSecond = cap(rule.ratePerSecond, defaults.ratePerSecond);
      applied.limits = {
        maxInFlight: cap(rule.concurrency, defaults.maxInFlight),
        ratePerSecond,
        burst:
          rule.ratePerSecond === undefined
            ? defaults.burst
            : Math.max(1, Math.min(defaults.burst, Math.floor(ratePerSecond))),
      };
    }
    if (rule.render !== undefined) applied.render = rule.render;
    if (rule.robots !== undefined) applied.robots = rule.robots;
    if (rule.proxyPool !== undefined) applied.proxyPool = rule.proxyPool;
    if (rule.timeoutMs !== undefined) applied.timeoutMs = rule.timeoutMs;
    if (rule.headers !== undefined) applied.headers = rule.headers;
    else if (rule.sealedHeaders !== undefined && this.#options.box !== undefined)
      applied.headers = openRequestSecrets(this.#options.box, rule.sealedHeaders).headers;
    return applied;
  }

  async #tenantOf(jobId: string): Promise<string | undefined> {
    const source = this.#options.source;
    if (source === undefined) return undefined;
    const known = this.#tenants.get(jobId);
    if (known !== undefined) return known;
    const tenant = await source.tenantOfJob(jobId);
    if (tenant === null) return undefined;
    if (this.#tenants.size >= MAX_CACHED) this.#tenants.delete(this.#tenants.keys().next().value!);
    this.#tenants.set(jobId, tenant);
    return tenant;
  }

  #rulesOf(tenant: string): Promise<DomainRule[]> {
    const source = this.#options.source;
    if (source === undefined) return Promise.resolve([]);
    const now = this.#clock.now();
    const cached = this.#rules.get(tenant);
    if (cached !== undefined && now - cached.at < this.#ttlMs) return cached.rules;
    const rules = source.listDomainRules(tenant);
    // A failed read is not cached.
    rules.catch(() => this.#rules.delete(tenant));
    if (this.#rules.size >= MAX_CACHED) this.#rules.delete(this.#rules.keys().next().value!);
    this.#rules.set(tenant, { at: now, rules });
    return rules;
  }
}
