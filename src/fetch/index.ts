/** Polite HTTP for distill: the fetcher, the private-network guard, robots.txt and per-host limits. */
export type { FetchOptions, FetchedResponse, Fetcher } from './types.js';
export type { HostLimiter, HostLimits, HostSlot } from './host-limiter.js';
export * from './errors.js';
export {
  classifyAddress,
  EMPTY_ALLOW_LIST,
  isAllowed,
  isBlockedAddress,
  isIpLiteral,
  parseAllowList,
  type AddressClass,
  type AllowEntry,
  type AllowList,
} from './address-guard.js';
export { createDnsLookup, isLocalhostName, localhostAddresses, LOOPBACK_ADDRESSES } from './dns-lookup.js';
export {
  assertAddressesAllowed,
  createGuardedConnector,
  systemLookup,
  type GuardedConnectorOptions,
  type LookupAddress,
  type LookupFunction,
} from './guarded-connector.js';
export {
  ACCEPT_ENCODING,
  parseContentEncoding,
  readBody,
  type ReadBodyOptions,
  type ReadBodyResult,
} from './read-body.js';
export {
  RobotsCache,
  type RobotsCacheOptions,
  type RobotsTxtLoader,
  type RobotsTxtResult,
} from './robots.js';
export {
  createFetcher,
  DEFAULT_ACCEPT,
  DEFAULT_USER_AGENT,
  HttpFetcher,
  type HttpFetcherOptions,
} from './http-fetcher.js';
export { MemoryHostLimiter, type MemoryHostLimiterOptions } from './memory-host-limiter.js';
export { HostWaits, type HostWait, type HostWaitsOptions, type JobPoliteness } from './host-waits.js';
export { acquireHostSlot, type AcquireHostSlotOptions, type GrantedHostSlot } from './acquire-host-slot.js';
export {
  domainMatches,
  FORBIDDEN_REQUEST_HEADERS,
  InvalidRequestSecretError,
  parseRequestSecrets,
  pathMatches,
  openRequestSecrets,
  requestSecretsFor,
  sealRequestSecrets,
  type SealedRequestSecrets,
  type RequestCookie,
  type RequestSecrets,
  type RequestSecretsInput,
} from './request-secrets.js';
export { ProxyEndpoint, parseProxyUrl, type ProxySpec } from './proxy-tunnel.js';
export {
  parseProxyPools,
  PROXY_ROTATIONS,
  ProxyPools,
  proxiesOf,
  type ProxyConfig,
  type ProxyLease,
  type ProxyPoolConfig,
  type ProxyRotation,
} from './proxy-pools.js';
export {
  bestDomainRule,
  DOMAIN_RENDER_MODES,
  DOMAIN_ROBOTS_POLICIES,
  DomainRuleResolver,
  domainPatternMatches,
  domainRuleView,
  InvalidDomainRuleError,
  MAX_DOMAIN_RULES,
  normaliseDomainPattern,
  parseDomainRule,
  parseDomainsConfig,
  sealDomainHeaders,
  type AppliedDomainRule,
  type DomainRule,
  type DomainRuleSource,
} from './domain-rules.js';
