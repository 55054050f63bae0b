import { availableParallelism, totalmem } from 'node:os';
import { parseDnsServers } from '../lib/dns-servers.js';
import { parseSecretKey } from '../lib/secret-box.js';
import { parseProxyPools, ProxyPools } from '../fetch/proxy-pools.js';
import { parseDomainsConfig } from '../fetch/domain-rules.js';

/**
 * The one table of every option distill reads. Each entry is one object: its `key` in `Config`,
 * its environment variable, its flag (derived from the variable unless given), its `kind`, its
 * default and its description. From it come the `Config` type (below), `loadConfig`, the
 * `--help` text (`describeOptions`) and the README's configuration table (`configTableMarkdown`,
 * written by `npm run docs:config` and checked by test/readme.test.ts).
 *
 * To add an option, add one entry: nothing else lists the options.
 */

/** How an option's text is parsed: `integer` and `number` → number, `enum` → one of `values`. */
export type OptionKind = 'integer' | 'number' | 'string' | 'boolean' | 'enum';

/** One option. */
export interface OptionSpec {
  /** The option's name in `Config`. */
  key: string;
  /** Its environment variable. */
  env: string;
  /** Its flag. @default the variable without `DISTILL_`, kebab-case: `DISTILL_DATABASE_URL` → `--database-url` */
  flag?: string;
  kind: OptionKind;
  default: string | number | boolean;
  /** One line for `--help` and error messages. */
  description: string;
  /** The README's wording (Markdown), when it says more than `description`. @default description */
  doc?: string;
  /** The README's default, when it is computed on the machine (`CPU count`). @default the default in backticks, (none) for '' */
  docDefault?: string;
  min?: number;
  max?: number;
  /** The values of an `enum`. */
  values?: readonly string[];
  /** An integer option that also takes the word `auto`. */
  isAutoAllowed?: boolean;
  /** The value is a secret: error messages and `--help` never show it. */
  isSecret?: boolean;
  /** Extra check on a parsed value; returns a problem or undefined. */
  check?: (value: unknown) => string | undefined;
}

const CPU_COUNT = availableParallelism();
/** Pages a browser renders at once by default: min(4, 2 × cores, memory / 512 MiB), at least 1. */
const RENDER_PAGES = Math.max(1, Math.min(4, CPU_COUNT * 2, Math.floor(totalmem() / (512 * 1024 * 1024))));

/** Every option distill reads, in the order `--help` lists them. Prettier leaves it as written: a row per option reads as a table. */
// prettier-ignore
export const OPTIONS = [
  { key: 'port', env: 'PORT', kind: 'integer', default: 3000, min: 0, max: 65535, description: 'TCP port the HTTP API listens on' },
  { key: 'host', env: 'HOST', kind: 'string', default: '127.0.0.1', description: 'Address the HTTP API binds to (0.0.0.0 for every interface)' },
  {
    key: 'databaseUrl',
    env: 'DISTILL_DATABASE_URL',
    kind: 'string',
    default: 'sqlite:./data/distill.db',
    description: 'Database: sqlite:<path> (embedded default), postgres://… or mysql://…',
    doc: 'Database: `sqlite:<path>` (embedded default), `postgres://…` or `mysql://…`',
    check: (v) =>
      /^(sqlite:|postgres:\/\/|postgresql:\/\/|mysql:\/\/)/.test(String(v))
        ? undefined
        : 'expected sqlite:<path>, postgres://user@host/db or mysql://user@host/db',
  },
  {
    key: 'redisPrefix',
    env: 'DISTILL_REDIS_PREFIX',
    kind: 'string',
    default: 'distill',
    description: 'Prefix of every Redis key (queue and host limits), to share one Redis between deployments',
    check: (v) => (/^[A-Za-z0-9_.-]{1,64}$/.test(String(v)) ? undefined : 'expected 1 to 64 letters, digits, _ . or -'),
  },
  { key: 'databasePoolSize', env: 'DISTILL_DATABASE_POOL_SIZE', kind: 'integer', default: 10, min: 1, max: 1000, description: 'Connections per process to PostgreSQL or MySQL' },
  { key: 'minFreeDiskMb', env: 'DISTILL_MIN_FREE_DISK_MB', kind: 'integer', default: 64, min: 0, description: '/readyz fails when the disk holding the SQLite file has less free space than this (MiB; 0 = no check)', doc: '`/readyz` fails when the disk holding the SQLite file has less free space than this (MiB; `0` = no check)' },
  {
    key: 'redisUrl',
    env: 'DISTILL_REDIS_URL',
    kind: 'string',
    default: '',
    description: 'Redis (redis://host:6379): the BullMQ queue and per-host limits shared by every worker (distributed mode)',
    check: (v) => (v === '' || /^rediss?:\/\//.test(String(v)) ? undefined : 'expected redis://host:port'),
  },
  {
    key: 'logLevel',
    env: 'DISTILL_LOG_LEVEL',
    kind: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    description: 'Log level',
    doc: 'Log level (JSON lines on stderr)',
  },
  {
    key: 'logFormat',
    env: 'DISTILL_LOG_FORMAT',
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'json', 'pretty'],
    description: 'Log format on stderr: json lines, pretty (human-readable), or auto (pretty on a terminal, else json)',
    doc: 'Log format on stderr: `json` (one JSON object a line), `pretty` (human-readable), or `auto`: pretty when stderr is a terminal, else JSON (see *Logs and metrics*)',
  },
  {
    key: 'concurrency',
    env: 'DISTILL_CONCURRENCY',
    kind: 'integer',
    isAutoAllowed: true,
    default: 'auto',
    min: 1,
    max: 4096,
    description:
      'URLs a worker process fetches at once: `auto` grows and shrinks it by feedback (extraction backlog, event-loop delay, memory) between DISTILL_CONCURRENCY_MIN and DISTILL_CONCURRENCY_MAX; a number pins it',
  },
  { key: 'concurrencyMin', env: 'DISTILL_CONCURRENCY_MIN', kind: 'integer', default: 8, min: 1, max: 4096, description: 'Floor of an `auto` concurrency' },
  { key: 'concurrencyMax', env: 'DISTILL_CONCURRENCY_MAX', kind: 'integer', default: 128, min: 1, max: 4096, description: 'Ceiling of an `auto` concurrency' },
  {
    key: 'handOffMaxBytes',
    env: 'DISTILL_HAND_OFF_BYTES',
    kind: 'integer',
    default: 16 * 1024 * 1024,
    min: 0,
    max: 1024 * 1024 * 1024,
    description:
      'Bytes of fetched bodies a worker process holds for extraction: a fetched body goes to this hand-off and its fetch slot to the next URL; while it is full, fetching pauses (each body counts at least 16 KiB); 0 keeps a slot until its URL is extracted and stored',
  },
  { key: 'leaseMs', env: 'DISTILL_LEASE_MS', kind: 'integer', default: 30_000, min: 1000, description: 'Lease of a claimed URL; a dead worker\'s URLs run again after it (ms)' },
  { key: 'shutdownTimeoutMs', env: 'DISTILL_SHUTDOWN_TIMEOUT_MS', kind: 'integer', default: 10_000, min: 0, description: 'Grace period for in-flight URLs on shutdown (ms)' },
  { key: 'maxAttempts', env: 'DISTILL_MAX_ATTEMPTS', kind: 'integer', default: 3, min: 1, max: 20, description: 'Attempts per URL before it fails' },
  {
    key: 'defaultMaxAgeSeconds',
    env: 'DISTILL_DEFAULT_MAX_AGE',
    kind: 'integer',
    default: 86_400,
    min: 0,
    description: 'Default maxAge of a job: reuse documents fetched less than this many seconds ago (0 = always fetch)',
  },
  { key: 'maxUrlsPerRequest', env: 'DISTILL_MAX_URLS_PER_REQUEST', kind: 'integer', default: 100_000, min: 1, description: 'Most URLs in one JSON request' },
  { key: 'maxRequestBytes', env: 'DISTILL_MAX_REQUEST_BYTES', kind: 'integer', default: 64 * 1024 * 1024, min: 1024, description: 'Largest JSON request body (bytes); streamed text/NDJSON bodies are not held in memory' },
  { key: 'maxUploadBytes', env: 'DISTILL_MAX_UPLOAD_BYTES', kind: 'integer', default: 50 * 1024 * 1024, min: 1024, description: 'Largest file POST /v1/files (and distill extract ./file) takes (bytes); a larger one gets 413 file_too_large' },
  { key: 'headersTimeoutMs', env: 'DISTILL_HEADERS_TIMEOUT_MS', kind: 'integer', default: 20_000, min: 100, description: 'A client must send its request headers within this time of connecting (or of its previous request), else the connection is closed (ms)' },
  { key: 'requestTimeoutMs', env: 'DISTILL_REQUEST_TIMEOUT_MS', kind: 'integer', default: 300_000, min: 100, description: 'A client must send its whole request, body included, within this time, else 408 and the connection is closed; a streamed upload must end within it (ms)' },
  { key: 'keepAliveTimeoutMs', env: 'DISTILL_KEEP_ALIVE_TIMEOUT_MS', kind: 'integer', default: 72_000, min: 100, description: 'How long an idle keep-alive connection stays open between two requests (ms)' },
  { key: 'idleTimeoutMs', env: 'DISTILL_IDLE_TIMEOUT_MS', kind: 'integer', default: 120_000, min: 0, description: 'A connection on which nothing is read or written for this long is closed; never less than DISTILL_SYNC_EXTRACT_WAIT_MS + 5 s (ms; 0 = never)' },
  { key: 'maxConnectionsPerIp', env: 'DISTILL_MAX_CONNECTIONS_PER_IP', kind: 'integer', default: 256, min: 0, description: 'Open connections one client address may hold; one more is closed at once (0 = no cap; behind a proxy every client has its address)' },
  { key: 'maxEventStreams', env: 'DISTILL_MAX_EVENT_STREAMS', kind: 'integer', default: 1000, min: 1, description: 'Concurrent SSE streams (GET /v1/jobs/:id/events) of this API process; one more gets 503 too_many_streams' },
  { key: 'maxEventStreamsPerTenant', env: 'DISTILL_MAX_EVENT_STREAMS_PER_TENANT', kind: 'integer', default: 100, min: 1, description: 'Concurrent SSE streams of one tenant (requests with an API key) in this API process; one more gets 429 tenant_streams_limit' },
  { key: 'fetchTimeoutMs', env: 'DISTILL_FETCH_TIMEOUT_MS', kind: 'integer', default: 30_000, min: 100, description: 'Total time limit of one fetch, body included (ms)' },
  { key: 'fetchConnectTimeoutMs', env: 'DISTILL_FETCH_CONNECT_TIMEOUT_MS', kind: 'integer', default: 10_000, min: 100, description: 'Connect time limit (ms)' },
  { key: 'fetchHeadersTimeoutMs', env: 'DISTILL_FETCH_HEADERS_TIMEOUT_MS', kind: 'integer', default: 15_000, min: 100, description: 'Time limit until response headers (ms)' },
  { key: 'fetchMaxBytes', env: 'DISTILL_FETCH_MAX_BYTES', kind: 'integer', default: 10 * 1024 * 1024, min: 1024, description: 'Body cap after decompression (bytes)' },
  { key: 'fetchMaxRedirects', env: 'DISTILL_FETCH_MAX_REDIRECTS', kind: 'integer', default: 5, min: 0, max: 20, description: 'Redirects followed per fetch' },
  {
    key: 'fetchAllow',
    env: 'DISTILL_FETCH_ALLOW',
    kind: 'string',
    default: '',
    description: 'Deliberate opening of the private-network guard: comma-separated host, host:port or CIDR entries that may be fetched',
  },
  {
    key: 'dnsServers',
    env: 'DISTILL_DNS_SERVERS',
    kind: 'string',
    default: '',
    description: 'DNS servers that fetches and renders resolve names with, instead of the system resolver (comma-separated ip, ip:port or [ipv6]:port; /etc/hosts is then not read)',
    check: (v) => dnsServersProblem(String(v)),
  },
  {
    key: 'secretKey',
    env: 'DISTILL_SECRET_KEY',
    kind: 'string',
    default: '',
    description: 'Key that seals jobs\' headers and cookies in the database (AES-256-GCM): 32 bytes as 64 hex digits or base64 (openssl rand -hex 32); without it jobs that set them are refused',
    doc: 'Key that seals jobs\' `options.headers` and `options.cookies` in the database (AES-256-GCM): 32 bytes as 64 hex digits or base64 (`openssl rand -hex 32`); without it jobs that set them are refused. Every process of a deployment needs the same key; a process with another stops at start',
    isSecret: true,
    check: (v) => secretKeyProblem(String(v)),
  },
  {
    key: 'llmUrl',
    env: 'DISTILL_LLM_URL',
    kind: 'string',
    default: '',
    description: 'Base URL of an OpenAI-compatible chat-completions endpoint for the json and summary formats, e.g. http://127.0.0.1:11434/v1 (a loopback or private address also needs a DISTILL_FETCH_ALLOW entry); empty: those formats are refused',
    check: (v) => (String(v) === '' || /^https?:\/\/[^\s]+$/.test(String(v)) ? undefined : 'expected an http(s) URL'),
  },
  {
    key: 'llmApiKey',
    env: 'DISTILL_LLM_API_KEY',
    kind: 'string',
    default: '',
    description: 'API key sent to DISTILL_LLM_URL as a bearer token; never logged or echoed',
    isSecret: true,
  },
  { key: 'llmModel', env: 'DISTILL_LLM_MODEL', kind: 'string', default: 'gpt-4o-mini', description: 'Model of the json and summary formats when a job names none (options.llm.model)' },
  { key: 'llmTimeoutMs', env: 'DISTILL_LLM_TIMEOUT_MS', kind: 'integer', default: 60_000, min: 1000, max: 600_000, description: 'Time limit of one call to the model endpoint, in milliseconds' },
  { key: 'llmMaxRetries', env: 'DISTILL_LLM_MAX_RETRIES', kind: 'integer', default: 2, min: 0, max: 10, description: 'Transport retries of one model call (429 with Retry-After, 5xx, timeouts)' },
  { key: 'llmContextTokens', env: 'DISTILL_LLM_CONTEXT_TOKENS', kind: 'integer', default: 12_000, min: 256, max: 1_000_000, description: 'Tokens of a document\'s Markdown given to the model at most, cut between chunks' },
  {
    key: 'proxyPools',
    env: 'DISTILL_PROXY_POOLS',
    kind: 'string',
    default: '',
    description: 'Proxy pools jobs may choose (options.proxyPool), as JSON: [{"name":"main","rotation":"round_robin","proxies":[{"name":"p1","url":"http://user:pass@host:3128","concurrency":8,"ratePerSecond":5}]}]',
    doc: 'Proxy pools jobs may choose (`options.proxyPool`), as JSON: `[{"name":"main","rotation":"round_robin","proxies":[{"name":"p1","url":"http://user:pass@host:3128","concurrency":8,"ratePerSecond":5}]}]`; proxy URLs `http://`, `https://`, `socks5://` or `socks5h://`, with optional `user:password@`; rotation `round_robin`, `random`, `sticky_host` or `sticky_session`; see [Fetching](fetching.md#proxy-pools)',
    isSecret: true,
    check: (v) => proxyPoolsProblem(String(v)),
  },
  {
    key: 'domains',
    env: 'DISTILL_DOMAINS',
    kind: 'string',
    default: '',
    description: 'Per-domain settings for every tenant, as JSON or the path of a JSON file: [{"pattern":"*.example.com","ratePerSecond":1,"concurrency":2,"render":"auto","robots":"respect","proxyPool":"main","timeoutMs":20000,"headers":{"X-Token":"..."}}]',
    doc: 'Per-domain settings for every tenant, as JSON or the path of a JSON file (a value that does not start with `[`): `[{"pattern":"*.example.com","ratePerSecond":1,"concurrency":2,"render":"auto","robots":"respect","proxyPool":"main","timeoutMs":20000,"headers":{"X-Token":"..."}}]`; tenants add their own through `/v1/domains`; see [Fetching](fetching.md#per-domain-settings)',
    isSecret: true,
    check: (v) => domainsProblem(String(v)),
  },
  {
    key: 'proxyPoolDefault',
    env: 'DISTILL_PROXY_POOL_DEFAULT',
    kind: 'string',
    default: '',
    description: 'Pool of jobs that name none (empty: they fetch directly)',
  },
  { key: 'userAgent', env: 'DISTILL_USER_AGENT', kind: 'string', default: 'distill/0.1 (+https://github.com/distill-dev/distill)', description: 'User-Agent of every fetch' },
  { key: 'fetchAccept', env: 'DISTILL_FETCH_ACCEPT', kind: 'string', default: 'text/markdown, text/html;q=0.9, */*;q=0.8', description: 'Accept header of every fetch: by default a site that serves Markdown is asked for it, and its Markdown becomes the document as it is (source site-markdown)' },
  { key: 'respectRobots', env: 'DISTILL_RESPECT_ROBOTS', kind: 'boolean', default: true, description: 'Obey robots.txt', doc: 'Obey robots.txt (`--no-respect-robots` turns it off)' },
  { key: 'hostConcurrency', env: 'DISTILL_HOST_CONCURRENCY', kind: 'integer', default: 2, min: 1, description: 'Requests in flight per host' },
  { key: 'hostRatePerSecond', env: 'DISTILL_HOST_RATE', kind: 'number', default: 2, min: 0.001, description: 'Requests per second per host (token bucket rate)' },
  { key: 'hostBurst', env: 'DISTILL_HOST_BURST', kind: 'integer', default: 4, min: 1, description: 'Token bucket burst per host' },
  { key: 'hostMaxWaitMs', env: 'DISTILL_HOST_MAX_WAIT_MS', kind: 'integer', default: 1000, min: 0, description: 'Longest a URL waits for its host before yielding its slot and being rescheduled (ms)' },
  { key: 'syncExtractWaitMs', env: 'DISTILL_SYNC_EXTRACT_WAIT_MS', kind: 'integer', default: 60_000, min: 1000, description: 'How long POST /v1/extract waits for its document before answering 504 (ms)' },
  { key: 'extractThreads', env: 'DISTILL_EXTRACT_THREADS', kind: 'integer', default: CPU_COUNT, min: 1, max: 256, description: 'Extraction worker threads (default: CPU count)', doc: 'Extraction worker threads', docDefault: 'CPU count' },
  {
    key: 'extractNiceness',
    env: 'DISTILL_EXTRACT_NICE',
    kind: 'integer',
    default: 10,
    min: 0,
    max: 19,
    description: 'Niceness of the extraction threads on Linux (0 = the normal priority): the API answers first when both want the CPU',
  },
  { key: 'extractTimeoutMs', env: 'DISTILL_EXTRACT_TIMEOUT_MS', kind: 'integer', default: 15_000, min: 100, description: 'Time limit of one extraction (ms)' },
  {
    key: 'server',
    env: 'DISTILL_SERVER',
    kind: 'string',
    default: 'http://127.0.0.1:3000',
    description: 'Base URL of the API that `distill jobs` and `distill mcp` talk to',
    check: (v) => (/^https?:\/\/[^/]/.test(String(v)) ? undefined : 'expected an http(s) URL'),
  },
  { key: 'extractMaxMemoryMb', env: 'DISTILL_EXTRACT_MAX_MEMORY_MB', kind: 'integer', default: 512, min: 64, description: 'Heap limit of one extraction thread (MiB)' },
  {
    key: 'maxInflatedBytes',
    env: 'DISTILL_MAX_INFLATED_BYTES',
    kind: 'integer',
    default: 50 * 1024 * 1024,
    min: 1024,
    description: 'Bytes the zip of a DOCX (any zip extraction reads) may inflate to, per entry and in total; over it the item fails with decompression_limit',
  },
  { key: 'maxSheetRows', env: 'DISTILL_MAX_SHEET_ROWS', kind: 'integer', default: 1000, min: 1, description: 'Rows of each spreadsheet sheet or CSV kept as a table; the rest are counted in a note under it' },
  { key: 'maxSheetColumns', env: 'DISTILL_MAX_SHEET_COLUMNS', kind: 'integer', default: 50, min: 1, description: 'Columns of each spreadsheet sheet or CSV kept; the rest are counted in the note' },
  { key: 'ocrLanguages', env: 'DISTILL_OCR_LANGUAGES', kind: 'string', default: 'eng', description: 'Tesseract languages for OCR of images and scanned PDF pages, joined by + or , (e.g. eng+deu); a job may set its own (ocrLanguages)' },
  { key: 'ocrPageTimeoutMs', env: 'DISTILL_OCR_PAGE_TIMEOUT_MS', kind: 'integer', default: 20_000, min: 1000, description: 'Time limit of the OCR of one image or PDF page (ms); all pages together stay within DISTILL_EXTRACT_TIMEOUT_MS' },
  { key: 'ocrMaxPages', env: 'DISTILL_OCR_MAX_PAGES', kind: 'integer', default: 20, min: 0, description: 'Most pages of one PDF read by OCR (those without a usable text layer); 0 turns OCR of PDF pages off' },
  { key: 'ocrMaxImagePixels', env: 'DISTILL_OCR_MAX_IMAGE_PIXELS', kind: 'integer', default: 50_000_000, min: 1, description: 'Largest image (width × height, from its header) read by OCR; a larger one fails with image_too_large before it is decoded' },
  { key: 'slideNotes', env: 'DISTILL_SLIDE_NOTES', kind: 'boolean', default: true, description: 'Speaker notes of a slide deck follow each slide in its document' },
  {
    key: 'render',
    env: 'DISTILL_RENDER',
    kind: 'boolean',
    default: false,
    description: 'distill worker: host a browser and render pages (`distill worker --render`); serve always can, launching Chromium on the first render',
    doc: '`distill worker --render`: this worker hosts a browser and renders pages; `serve` always can (Chromium starts on the first render)',
  },
  {
    key: 'renderDefault',
    env: 'DISTILL_RENDER_DEFAULT',
    kind: 'enum',
    default: 'auto',
    values: ['never', 'always', 'auto'],
    description: 'render option of jobs that set none: auto renders only pages whose HTML is an application shell',
    doc: '`render` of jobs that set none: `never`, `always`, or `auto` (only pages whose HTML is an application shell)',
  },
  { key: 'renderPages', env: 'DISTILL_RENDER_PAGES', kind: 'integer', default: RENDER_PAGES, min: 1, max: 64, description: 'Pages rendered at once per process (default: min(4, 2 × CPU count, memory / 512 MiB))', doc: 'Pages rendered at once per process', docDefault: 'min(4, 2 × CPU count, memory / 512 MiB)' },
  { key: 'renderRecycleAfter', env: 'DISTILL_RENDER_RECYCLE_AFTER', kind: 'integer', default: 100, min: 1, description: 'Pages a browser renders before it is replaced by a fresh one', doc: 'Pages a browser renders before a fresh one replaces it' },
  { key: 'renderMaxRssMb', env: 'DISTILL_RENDER_MAX_RSS_MB', kind: 'integer', default: 1536, min: 128, description: 'Resident memory of a browser\'s processes above which it is replaced (MiB)', doc: 'Memory of a browser\'s processes (PSS from /proc, RSS where PSS is unknown) above which it is replaced (MiB)' },
  {
    key: 'renderBlock',
    env: 'DISTILL_RENDER_BLOCK',
    kind: 'string',
    default: 'image,media,font',
    description: 'Resource types the browser does not load (comma-separated: image, media, font, stylesheet, ...; none loads all)',
    doc: 'Resource types the browser does not load (`none` loads everything)',
  },
  { key: 'chromiumPath', env: 'DISTILL_CHROMIUM_PATH', kind: 'string', default: '/usr/bin/chromium', description: 'The Chromium binary that renders pages', doc: 'The Chromium binary that renders pages (Debian: `apt-get install chromium`)' },
  {
    key: 'amqpUrl',
    env: 'DISTILL_AMQP_URL',
    kind: 'string',
    default: '',
    description: 'RabbitMQ (amqp://user:password@host:5672): publish every event to the topic exchange distill.events',
    doc: 'RabbitMQ (`amqp://user:password@host:5672`): publish every event to the topic exchange `distill.events` (see *Events*)',
    check: (v) => (v === '' || /^amqps?:\/\/[^/]/.test(String(v)) ? undefined : 'expected amqp://user:password@host:5672 or amqps://…'),
  },
  { key: 'eventPollMs', env: 'DISTILL_EVENT_POLL_MS', kind: 'integer', default: 200, min: 10, max: 60_000, description: 'How often the outbox relay looks for new events (ms)' },
  {
    key: 'eventRetentionSeconds',
    env: 'DISTILL_EVENT_RETENTION',
    kind: 'integer',
    default: 604_800,
    min: 0,
    description: 'Published events (GET /v1/events, SSE replay) and finished webhook deliveries are kept this many seconds (0 = forever)',
    doc: 'Published events (`GET /v1/events`, SSE replay) and finished webhook deliveries are kept this many seconds (0 = forever)',
  },
  { key: 'webhookTimeoutMs', env: 'DISTILL_WEBHOOK_TIMEOUT_MS', kind: 'integer', default: 10_000, min: 100, max: 120_000, description: 'Time limit of one webhook call (ms)' },
  { key: 'webhookRetryBaseMs', env: 'DISTILL_WEBHOOK_RETRY_BASE_MS', kind: 'integer', default: 10_000, min: 10, description: 'Delay before retrying a failed webhook call; doubles per attempt, with jitter, up to 1 h (ms)' },
  { key: 'webhookGiveUpSeconds', env: 'DISTILL_WEBHOOK_GIVE_UP', kind: 'integer', default: 86_400, min: 1, description: 'A webhook delivery still failing this many seconds after its event gives up (webhook.failed)', doc: 'A webhook delivery still failing this many seconds after its event gives up (`webhook.failed`)' },
  { key: 'webhookConcurrency', env: 'DISTILL_WEBHOOK_CONCURRENCY', kind: 'integer', default: 16, min: 1, max: 1024, description: 'Webhook calls in flight at once (one per job at most)' },
  {
    key: 'documentVersions',
    env: 'DISTILL_DOCUMENT_VERSIONS',
    kind: 'integer',
    default: 5,
    min: 0,
    max: 100,
    description: 'Earlier versions of a document kept when its main text changes (GET /v1/documents/:id/versions); 0 keeps none',
    doc: 'Earlier versions of a document kept when its main text changes (`GET /v1/documents/:id/versions`); 0 keeps none',
  },
  {
    key: 'groupCommit',
    env: 'DISTILL_GROUP_COMMIT',
    kind: 'integer',
    default: 64,
    min: 1,
    max: 64,
    description: 'Finished items written in one transaction at most: those ending within 2 ms share it (group commit); 1 gives each its own',
  },
  {
    key: 'groupCommitWindowMs',
    env: 'DISTILL_GROUP_COMMIT_WINDOW_MS',
    kind: 'integer',
    default: 2,
    min: 0,
    max: 100,
    description: 'How long a finished item waits for others to share its transaction (group commit), in milliseconds',
  },
  {
    key: 'jobRetentionSeconds',
    env: 'DISTILL_JOB_RETENTION',
    kind: 'integer',
    default: 2_592_000,
    min: 0,
    description: 'Jobs finished more than this many seconds ago are deleted with their items, then documents no job refers to (0 = keep everything)',
    doc: 'Jobs finished more than this many seconds ago are deleted with their items, then the documents no job refers to (0 = keep everything; see *Retention*)',
  },
  { key: 'schedulerPollMs', env: 'DISTILL_SCHEDULER_POLL_MS', kind: 'integer', default: 1000, min: 50, max: 60_000, description: 'How often the scheduler looks for due schedules (ms)' },
  { key: 'crawlMaxPages', env: 'DISTILL_CRAWL_MAX_PAGES', kind: 'integer', default: 10_000, min: 1, max: 10_000_000, description: 'Most pages one crawl may ask for (its maxPages)', doc: 'Most pages one crawl may ask for (its `maxPages`)' },
  { key: 'mapTimeoutMs', env: 'DISTILL_MAP_TIMEOUT_MS', kind: 'integer', default: 30_000, min: 1000, max: 300_000, description: 'Time one POST /v1/map (or Firecrawl map) takes at most when the request sets none; what was found by then is answered (ms)' },
  {
    key: 'rateLimit',
    env: 'DISTILL_RATE_LIMIT',
    kind: 'integer',
    default: 1200,
    min: 0,
    description: 'API requests per API key (per client IP when auth is off) per window; over it: 429 with Retry-After (0 = no limit). Shared through Redis in distributed mode',
    doc: '`/v1/` requests per API key (per client IP while auth is off) per window; over it 429 `rate_limited` with `Retry-After` (0 = no limit). Counted in Redis, across API processes, in distributed mode',
  },
  { key: 'rateLimitWindowSeconds', env: 'DISTILL_RATE_LIMIT_WINDOW', kind: 'integer', default: 60, min: 1, max: 86_400, description: 'Window of DISTILL_RATE_LIMIT (seconds)', doc: 'Window of `DISTILL_RATE_LIMIT` (seconds)' },
  {
    key: 'tenantMaxQueued',
    env: 'DISTILL_TENANT_MAX_QUEUED',
    kind: 'integer',
    default: 10_000_000,
    min: 0,
    description: 'Most URLs one tenant may have waiting (queued or running) over all its jobs; a submission past it gets 429 queued_urls_limit (0 = no cap)',
    doc: 'Most URLs one tenant may have waiting (queued or running) over all its jobs; a submission past it gets 429 `queued_urls_limit` (0 = no cap)',
  },
  { key: 'tenantIsolation', env: 'DISTILL_TENANT_ISOLATION', kind: 'boolean', default: false, description: 'Give each tenant its own documents: none is reused, single-flighted or readable across tenants' },
  {
    key: 'mcpAllowedHosts',
    env: 'DISTILL_MCP_ALLOWED_HOSTS',
    kind: 'string',
    default: '',
    description: 'Host names besides localhost, 127.0.0.1 and [::1] that /mcp accepts in Host and Origin (comma-separated; its DNS rebinding check)',
    doc: 'Host names besides `localhost`, `127.0.0.1` and `[::1]` that `/mcp` accepts in `Host` and `Origin` (comma-separated): its check against DNS rebinding. Add the name clients reach the API by when it is not loopback',
  },
  { key: 'apiKey', env: 'DISTILL_API_KEY', kind: 'string', default: '', description: 'API key that `distill jobs` and `distill mcp` send to the server' },
  {
    key: 'workerPort',
    env: 'DISTILL_WORKER_PORT',
    kind: 'integer',
    default: 0,
    min: 0,
    max: 65535,
    description: '`distill worker` serves /healthz, /readyz and /metrics on this port, on HOST (0 = none)',
    doc: '`distill worker` serves `/healthz`, `/readyz` and `/metrics` on this port, on `HOST` (0 = none): how to probe and scrape workers in distributed mode',
  },
] as const satisfies readonly OptionSpec[];

/** One entry of `OPTIONS`, with its literal types. */
export type Option = (typeof OPTIONS)[number];

/** The TypeScript type of an option's value, from its `kind` (and an enum's `values`). */
export type OptionValue<O extends OptionSpec> = O extends { kind: 'enum'; values: readonly (infer V)[] }
  ? V
  : O extends { isAutoAllowed: true }
    ? number | 'auto'
    : O extends { kind: 'boolean' }
      ? boolean
      : O extends { kind: 'string' }
        ? string
        : number;

/**
 * One validated, frozen configuration built from defaults < environment variables < command-line
 * flags, one member per entry of `OPTIONS` (see there for what each means).
 */
export type Config = { [O in Option as O['key']]: OptionValue<O> };

/** What is wrong with `DISTILL_PROXY_POOLS`, or undefined (proxy URLs, which may hold credentials, are never echoed). */
function proxyPoolsProblem(text: string): string | undefined {
  try {
    new ProxyPools(parseProxyPools(text));
    return undefined;
  } catch (error) {
    return error instanceof TypeError ? error.message : 'invalid proxy pools';
  }
}

/** What is wrong with `DISTILL_DOMAINS`, or undefined (header values are never echoed). */
function domainsProblem(text: string): string | undefined {
  try {
    parseDomainsConfig(text);
    return undefined;
  } catch (error) {
    return error instanceof TypeError ? error.message : 'invalid domain rules';
  }
}

/** What is wrong with a `DISTILL_SECRET_KEY`, or undefined (the key itself is never echoed). */
function secretKeyProblem(text: string): string | undefined {
  if (text === '') return undefined;
  try {
    parseSecretKey(text);
    return undefined;
  } catch {
    return 'expected 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)';
  }
}

/** What is wrong with a `DISTILL_DNS_SERVERS` list, or undefined. */
function dnsServersProblem(text: string): string | undefined {
  try {
    parseDnsServers(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
