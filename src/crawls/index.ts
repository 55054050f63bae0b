export { CrawlScope, MAX_LINKS_PER_PAGE } from './crawl-scope.js';
export {
  compilePattern,
  checkPatterns,
  globToRe2,
  InvalidPatternError,
  MAX_PATTERNS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_PROGRAM_SIZE,
  type UrlPattern,
} from './url-pattern.js';
export { parseSitemap, MAX_SITEMAP_URLS } from './sitemap.js';
export { withCrawlLinks, type CrawlTaskDependencies } from './crawl-task.js';
export {
  CrawlsService,
  CRAWL_DEFAULTS,
  type CrawlInput,
  type CrawlsServiceOptions,
} from './crawls-service.js';
export { readSitemapDocument, hasEntityDeclarations, type SitemapDocument } from './sitemap.js';
export {
  SiteMapper,
  DEFAULT_MAP_LIMIT,
  MAX_MAP_LIMIT,
  MAX_SITEMAP_FILES,
  MAX_SITEMAP_DEPTH,
  type MapLink,
  type MapRequest,
  type MapResult,
  type MapSource,
  type MapWarning,
  type SiteMapperDependencies,
} from './site-map.js';
