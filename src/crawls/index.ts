export { CrawlScope, MAX_LINKS_PER_PAGE } from './crawl-scope.js';
export { compilePattern, checkPatterns, globToRe2, InvalidPatternError, MAX_PATTERNS, MAX_PATTERN_LENGTH, MAX_PATTERN_PROGRAM_SIZE, type UrlPattern } from './url-pattern.js';
export { parseSitemap, MAX_SITEMAP_URLS } from './sitemap.js';
export { withCrawlLinks, type CrawlTaskDependencies } from './crawl-task.js';
export { CrawlsService, CRAWL_DEFAULTS, type CrawlInput, type CrawlsServiceOptions } from './crawls-service.js';
