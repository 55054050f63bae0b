import { ApiError } from '../api/api-error.js';
import type { DomainsApi } from '../api/services.js';
import type { Config } from '../config/index.js';
import {
  DomainRuleResolver,
  domainRuleView,
  InvalidDomainRuleError,
  MAX_DOMAIN_RULES,
  normaliseDomainPattern,
  parseDomainRule,
  parseDomainsConfig,
  sealDomainHeaders,
  type DomainRule,
} from '../fetch/index.js';
import { SecretKeyMissingError, type SecretBox } from '../lib/index.js';
import type { KyselyJobRepository } from '../storage/index.js';

/** The domain rules of this process: what the workers apply, and what `/v1/domains` changes. */
export interface DomainRules {
  resolver: DomainRuleResolver;
  api: DomainsApi;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function invalid(error: unknown): never {
  if (error instanceof InvalidDomainRuleError) {
    throw new ApiError('invalid_domain_rule', `\`${error.field || '/'}\` ${error.message}`, {
      extensions: { field: error.field },
      cause: error,
    });
  }
  throw error;
}

/**
 * Rules of `DISTILL_DOMAINS` (for every tenant) and each tenant's stored ones (migration 0013),
 * headers sealed with DISTILL_SECRET_KEY. Bad configuration stops the start with a message that
 * never holds a header value.
 */
export function buildDomainRules(
  config: Config,
  deps: { repository: KyselyJobRepository; secretBox: SecretBox | undefined; poolNames: readonly string[] },
): DomainRules {
  let configured: DomainRule[];
  try {
    configured = parseDomainsConfig(config.domains, deps.poolNames);
  } catch (error) {
    throw new TypeError(`DISTILL_DOMAINS: ${(error as Error).message}`);
  }
  const store = deps.repository.domainRules;
  const resolver = new DomainRuleResolver({
    config: configured,
    source: store,
    box: deps.secretBox,
    defaults: {
      maxInFlight: config.hostConcurrency,
      ratePerSecond: config.hostRatePerSecond,
      burst: config.hostBurst,
    },
  });
  // Path parameters arrive decoded by the router; decoding again would turn `%` into a URIError (a 500).
  const patternOf = (text: string): string => {
    try {
      return normaliseDomainPattern(text);
    } catch (error) {
      return invalid(error);
    }
  };
  const api: DomainsApi = {
    async list(tenant) {
      const own = await store.listStoredDomainRules(tenant);
      return [
        ...own.map((r) => ({
          ...domainRuleView(r.rule, 'tenant'),
          createdAt: iso(r.createdAt),
          updatedAt: iso(r.updatedAt),
        })),
        ...configured.map((rule) => domainRuleView(rule, 'config')),
      ];
    },
    async get(tenant, text) {
      const pattern = patternOf(text);
      const stored = await store.getDomainRule(tenant, pattern);
      if (stored === null)
        throw new ApiError(
          'domain_rule_not_found',
          `You have no domain rule for \`${pattern}\` (rules of DISTILL_DOMAINS are listed by GET /v1/domains and changed in the configuration)`,
        );
      return {
        ...domainRuleView(stored.rule, 'tenant'),
        createdAt: iso(stored.createdAt),
        updatedAt: iso(stored.updatedAt),
      };
    },
    async put(tenant, text, body) {
      let rule: DomainRule;
      try {
        rule = parseDomainRule(body, {
          ...(text === undefined ? {} : { pattern: text }),
          poolNames: deps.poolNames,
        });
      } catch (error) {
        return invalid(error);
      }
      if (rule.headers !== undefined && Object.keys(rule.headers).length > 0) {
        if (deps.secretBox === undefined)
          throw new ApiError(
            'secret_key_missing',
            new SecretKeyMissingError("A domain rule's `headers`").message,
          );
        rule = sealDomainHeaders(deps.secretBox, rule);
      } else {
        delete rule.headers;
      }
      if (
        (await store.getDomainRule(tenant, rule.pattern)) === null &&
        (await store.countDomainRules(tenant)) >= MAX_DOMAIN_RULES
      ) {
        throw new ApiError(
          'invalid_domain_rule',
          `You have ${MAX_DOMAIN_RULES} domain rules, the most there may be; delete one first`,
          { extensions: { field: '/pattern' } },
        );
      }
      const outcome = await store.putDomainRule(tenant, rule);
      resolver.invalidate(tenant);
      const stored = await store.getDomainRule(tenant, rule.pattern);
      return {
        rule: {
          ...domainRuleView(rule, 'tenant'),
          ...(stored === null ? {} : { createdAt: iso(stored.createdAt), updatedAt: iso(stored.updatedAt) }),
        },
        isCreated: outcome === 'created',
      };
    },
    async delete(tenant, text) {
      const pattern = patternOf(text);
      if (!(await store.deleteDomainRule(tenant, pattern))) {
        throw new ApiError(
          'domain_rule_not_found',
          `You have no domain rule for \`${pattern}\` (rules of DISTILL_DOMAINS are changed in the configuration)`,
        );
      }
      resolver.invalidate(tenant);
    },
  };
  return { resolver, api };
}
