export { CrawlScope, compilePattern, checkPatterns, InvalidPatternError, MAX_LINKS_PER_PAGE, MAX_PATTERNS, MAX_PATTERN_LENGTH } from './crawl-scope.js';
export { parseSitemap, MAX_SITEMAP_URLS } from './sitemap.js';
export { withCrawlLinks, type CrawlTaskDependencies } from './crawl-task.js';
export { CrawlsService, CRAWL_DEFAULTS, type CrawlInput, type CrawlsServiceOptions } from './crawls-service.js';
