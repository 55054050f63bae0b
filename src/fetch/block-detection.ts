/**
 * Recognises answers that are not the page (issue 20): bot challenges and walls, captcha pages,
 * and redirects to a login. They become `blocked_by_site` or `login_required` with a hint, instead
 * of a document made of challenge text.
 *
 * Markers are the ones the big walls put in their own pages (Cloudflare's `cf_chl_opt` and
 * `/cdn-cgi/challenge-platform/`, DataDome's `captcha-delivery.com`, PerimeterX's `px-captcha`,
 * Imperva's `_Incapsula_Resource`, Akamai's "Access Denied … Reference #", AWS WAF's captcha).
 * On a 403, 429 or 503 any marker counts. On a 2xx page only the challenge markers count, and a
 * bare captcha widget (`g-recaptcha`, `h-captcha`, `cf-turnstile`) only on a small page: a contact
 * form with a captcha is still a page.
 */

/** What a block looks like: the kind, which wall, and what to do about it. */
export interface BlockVerdict {
  kind: 'blocked_by_site' | 'login_required';
  /** The wall recognised, e.g. `cloudflare_challenge`, `captcha`, `login_redirect`. */
  reason: string;
  hint: string;
}

/** Bytes of a body looked at. */
export const BLOCK_SNIFF_BYTES = 64 * 1024;
/** A 2xx page smaller than this with a captcha widget is a captcha page. */
const SMALL_PAGE_BYTES = 16 * 1024;

const CHALLENGES: ReadonlyArray<[RegExp, string]> = [
  [
    /cf_chl_opt|\/cdn-cgi\/challenge-platform\/|cf-browser-verification|<title>\s*just a moment\.\.\.\s*<\/title>|attention required! \| cloudflare/i,
    'cloudflare_challenge',
  ],
  [/captcha-delivery\.com|geo\.captcha-delivery/i, 'datadome_challenge'],
  [/px-captcha|_pxCaptcha|perimeterx/i, 'perimeterx_challenge'],
  [/_Incapsula_Resource|incapsula incident id/i, 'imperva_challenge'],
  [/awswaf|aws-waf-token|captcha\.awswaf\.com/i, 'aws_waf_challenge'],
  [/<title>\s*access denied\s*<\/title>[\s\S]{0,2000}reference\s*#/i, 'akamai_denied'],
];
/**
 * One pass that every marker above and below needs to match somewhere (each contains one of these
 * words): a page without any of them (nearly every page) is judged in one scan of its head instead
 * of seven. A page with one goes through the exact rules.
 */
const ANY_MARKER =
  /c(?:f_chl_opt|dn-cgi|f-browser|aptcha)|just a moment|attention required|perimeterx|incapsula|aws-?waf|access denied|turnstile/i;
const CAPTCHA =
  /class=["'][^"']*\b(g-recaptcha|h-captcha|cf-turnstile)\b|hcaptcha\.com\/1\/api\.js|recaptcha\/api\.js|challenges\.cloudflare\.com\/turnstile/i;

const BLOCK_HINT =
  'the site answered with a bot challenge instead of the page; retry through another proxy pool or with rendering (options.onBlocked), slow down (per-domain rate), or ask the site for access';
const LOGIN_HINT =
  'the site asks for a login; give the job its session cookie (options.cookies) or Authorization header (options.headers)';

/** The verdict on a body of `status`, or undefined when it looks like a page (or an ordinary error). */
export function judgeBlock(status: number, body: Uint8Array): BlockVerdict | undefined {
  const head = body.subarray(0, BLOCK_SNIFF_BYTES);
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  if (!ANY_MARKER.test(text)) return undefined;
  const isErrorStatus = status === 403 || status === 429 || status === 503;
  for (const [marker, reason] of CHALLENGES) {
    if (marker.test(text)) return { kind: 'blocked_by_site', reason, hint: BLOCK_HINT };
  }
  if (CAPTCHA.test(text) && (isErrorStatus || body.byteLength < SMALL_PAGE_BYTES)) {
    return { kind: 'blocked_by_site', reason: 'captcha', hint: BLOCK_HINT };
  }
  return undefined;
}

const LOGIN_PATH =
  /(^|\/)(login|log-in|signin|sign-in|sign_in|logon|auth\/login|account\/login|users\/sign_in|session\/new|sso)(\/|$|\.|\?)/i;
const LOGIN_HOST = /^(login|signin|accounts|auth|sso|idp)\./i;

/** Does `url` look like a login page? */
export function isLoginUrl(url: URL): boolean {
  return LOGIN_PATH.test(url.pathname) || LOGIN_HOST.test(url.hostname);
}

/**
 * A redirect from a page that is not a login page to one that is: the site wants a login. (A job
 * that asks for the login page itself gets it.)
 */
export function judgeRedirect(requested: URL, target: URL): BlockVerdict | undefined {
  if (isLoginUrl(target) && !isLoginUrl(requested))
    return { kind: 'login_required', reason: 'login_redirect', hint: LOGIN_HINT };
  return undefined;
}

/** A 401: the site wants credentials. */
export function unauthorizedVerdict(): BlockVerdict {
  return { kind: 'login_required', reason: 'http_401', hint: LOGIN_HINT };
}
