import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';

/** Options of {@link webPagePlugin}. */
export interface WebPageOptions {
  /** The built page (`vite build` output: `index.html` and `assets/`). @default `dist/web` of the package */
  root?: string;
}

/** Content types of the files Vite emits; anything else is served as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Vite names built files `name-<hash>.ext` (8+ base64url characters): their content never changes. */
const HASHED_NAME = /-[A-Za-z0-9_-]{8,}(\.[a-z0-9]+)+$/;

/** Cache header of files whose name carries a content hash. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * What the page may do: its own scripts, styles and API only; images from anywhere (rendered
 * documents show the pictures of the pages they came from, without a referrer), nothing framed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https: http:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The default root: `dist/web` of the package, whether this module runs compiled
 * (`dist/api/static.js` → `dist/web`) or from source under tests (`src/api/static.ts` → `dist/web`).
 */
export function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const packageRoot = resolve(here, '..', '..');
  return join(packageRoot, 'dist', 'web');
}

/** The path of `relative` under `root`, or null when it would leave `root` or is not a plain path. */
function resolveInside(root: string, relative: string): string | null {
  // Backslashes, NUL and empty or dot segments never appear in Vite's output: refuse them outright
  // rather than reason about how each platform would read them.
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return null;
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
  const path = resolve(root, ...segments);
  return path.startsWith(root + sep) ? path : null;
}

function notFound(request: FastifyRequest): ApiError {
  return new ApiError('not_found', `No file ${request.url.split('?')[0]}`);
}

/**
 * Serves the web page built by `vite build --config src/web/vite.config.ts`: `index.html` at `/`
 * (no-cache, so a new release is picked up at once) and the files under `/assets/` (hashed names
 * cached for a year as immutable). Missing files are 404 problems, thrown to the API's error handler;
 * paths that try to leave the folder are 404 too. The page routes with the URL's hash, so no other
 * path is needed. Streams from disk with `node:fs`; nothing is cached in memory.
 *
 * ```ts
 * await app.register(webPagePlugin, {}); // or { root: '/srv/distill/web' }
 * ```
 */
export function webPagePlugin(
  app: FastifyInstance,
  options: WebPageOptions,
  done: (error?: Error) => void,
): void {
  const root = resolve(options.root ?? defaultWebRoot());
  const assetsRoot = join(root, 'assets');

  async function sendFile(
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
    cacheControl: string,
  ): Promise<FastifyReply> {
    let size: number;
    let modified: Date;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw notFound(request);
      size = info.size;
      modified = info.mtime;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw notFound(request);
    }
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    // A weak validator from size and time: `no-cache` files are revalidated with it (304).
    const etag = `W/"${size.toString(16)}-${Math.floor(modified.getTime()).toString(16)}"`;
    reply
      .header('content-type', type)
      .header('cache-control', cacheControl)
      .header('etag', etag)
      .header('last-modified', modified.toUTCString())
      .header('x-content-type-options', 'nosniff');
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === etag)) {
      return reply.code(304).send();
    }
    // Fastify's HEAD route (exposed from this GET) sends these headers and drops the body.
    return reply.header('content-length', String(size)).send(createReadStream(path));
  }

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    try {
      return await sendFile(request, reply, join(root, 'index.html'), 'no-cache');
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(
        'not_found',
        `The web page is not built: ${join(root, 'index.html')} is missing (run \`npm run build\`)`,
      );
    }
  });

  app.get(
    '/assets/*',
    { schema: { hide: true } },
    async (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
      const path = resolveInside(assetsRoot, request.params['*']);
      if (path === null) throw notFound(request);
      return sendFile(request, reply, path, HASHED_NAME.test(basename(path)) ? IMMUTABLE : 'no-cache');
    },
  );
  done();
}
