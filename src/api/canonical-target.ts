/**
 * One spelling of every request target, before the router sees it. Auth, tenancy and rate limits
 * decide from the route the router picks; this makes sure that every spelling of a path reaches
 * that route (or none), so that no spelling can reach a handler the checks did not see:
 * - the absolute form (`GET http://host/v1/jobs`, which RFC 9112 §3.2.2 says a server must accept)
 *   becomes the origin form (`/v1/jobs`);
 * - percent-escapes of unreserved characters (`%76` for `v`) are decoded, and the hex digits of the
 *   others upper-cased (RFC 3986 §6.2.2);
 * - runs of slashes become one, and dot segments (`/x/../v1`, `%2e%2e` included) are removed
 *   (RFC 3986 §5.2.4).
 * The query string is left as it came. Written by hand: the WHATWG `URL` parser does the dot
 * segments but keeps `%76` as it is and needs a base for the origin form.
 */
export function canonicalRequestTarget(target: string): string {
  const originForm = toOriginForm(target);
  if (originForm[0] !== '/') return originForm; // `*` (OPTIONS) and malformed targets: the router refuses them
  const queryStart = originForm.indexOf('?');
  const path = queryStart === -1 ? originForm : originForm.slice(0, queryStart);
  const query = queryStart === -1 ? '' : originForm.slice(queryStart);
  return removeDotSegments(collapseSlashes(normalizeEscapes(path))) + query;
}

/** Is this canonical path inside the API (`/v1`, `/firecrawl` and below, and `/mcp`), whatever its letters' case? */
export function isApiPath(canonicalTarget: string): boolean {
  const path = canonicalTarget.toLowerCase();
  if (path === '/mcp' || path.startsWith('/mcp?')) return true;
  return ['/v1', '/firecrawl'].some(
    (prefix) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`),
  );
}

function toOriginForm(target: string): string {
  const match = /^https?:\/\/[^/?#]*/i.exec(target);
  if (!match) return target;
  const rest = target.slice(match[0].length);
  return rest === '' || rest[0] === '?' ? `/${rest}` : rest;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function normalizeEscapes(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(/%([0-9a-fA-F]{2})/g, (escape: string, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
}

function collapseSlashes(path: string): string {
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

function removeDotSegments(path: string): string {
  if (!path.includes('/.')) return path;
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((segment, index) => {
    const isLast = index === segments.length - 1;
    if (segment === '..') {
      if (output.length > 0) output.pop();
      if (isLast) output.push('');
    } else if (segment === '.') {
      if (isLast) output.push('');
    } else {
      output.push(segment);
    }
  });
  return `/${output.join('/')}`;
}
