/**
 * Wall detection: does the page look like an error page, a login wall, a cookie wall or a paywall
 * rather than content? Heuristics over the title and short texts only: a wall page is short, so a
 * long article that merely mentions cookies or logging in is never flagged. The checks run in this
 * order and the first that matches wins:
 * - error: an HTTP-error-like title or heading ("404", "Page not found", "Access denied") with
 *   under ~2,500 characters of text;
 * - login: "sign in / log in to continue", "you must be logged in" in a text under ~1,500
 *   characters, or a title that is just "Sign in" / "Log in";
 * - cookie: a text under ~1,200 characters that asks to accept or manage cookies / consent;
 * - paywall: "subscribe to continue reading", "already a subscriber?", "for subscribers only" in a
 *   text under ~3,000 characters (walls usually keep a teaser paragraph).
 */
export type Wall = 'error' | 'login' | 'cookie' | 'paywall' | null;

const ERROR_TITLE =
  /\b(?:404|403|410|500|502|503)\b.*\b(?:error|not found|forbidden|gone|unavailable)\b|\b(?:error|http)\s*(?:404|403|410|500|502|503)\b|\bpage (?:not found|does(?:n['’]t| not) exist|no longer exists|is missing|cannot be found|could not be found)\b|^(?:not found|access denied|forbidden|server error|service unavailable|internal server error|page not found|error)\b|\b(?:we couldn['’]t find|can['’]t find) (?:the|that|this) page\b/i;
const ERROR_TEXT =
  /\b(?:the page you (?:are|were) looking for|this page (?:doesn['’]t|does not|no longer) exist|page (?:not found|cannot be found)|404 (?:error|not found)|error 404)\b/i;
const LOGIN_TEXT =
  /\b(?:(?:sign|log) ?in to (?:continue|view|read|access|see)|please (?:sign|log) ?in\b|you (?:must|need to) (?:be (?:logged|signed) in|(?:sign|log) ?in)|(?:sign|log) ?in (?:required|with your)|login required|forgot (?:your )?password)/i;
const LOGIN_TITLE = /^(?:sign ?in|log ?in|login|sign on|authentication required|anmelden|connexion)\b/i;
const COOKIE_TEXT =
  /\bcookies?\b[\s\S]*\b(?:accept|consent|agree|manage|preferences|settings)\b|\b(?:accept|consent to|agree to)\b[\s\S]*\bcookies?\b|\bconsent\b[\s\S]*\bpartners\b/i;
const PAYWALL_TEXT =
  /\b(?:subscribe (?:now )?to (?:continue|read|keep reading|unlock)|(?:already|are you) a subscriber|(?:for|available to|exclusive to) (?:paying )?(?:subscribers|members) only|subscribers? only|to continue reading|continue reading with a subscription|this (?:article|content|story) is (?:for|available to|reserved for) (?:subscribers|members)|start your (?:free )?trial to (?:read|continue))\b/i;

/** Classifies a page as a wall from its title and main text. */
export function detectWall(title: string | null, text: string): Wall {
  const length = text.length;
  const heading = (title ?? '').trim();
  const start = text.slice(0, 600);
  if (
    length < 2500 &&
    (ERROR_TITLE.test(heading) ||
      ERROR_TITLE.test(start.split('\n', 1)[0] ?? '') ||
      (length < 1000 && ERROR_TEXT.test(text)))
  )
    return 'error';
  if (length < 1500 && (LOGIN_TEXT.test(text) || (LOGIN_TITLE.test(heading) && length < 800))) return 'login';
  if (length < 1200 && COOKIE_TEXT.test(text)) return 'cookie';
  if (length < 3000 && PAYWALL_TEXT.test(text)) return 'paywall';
  return null;
}
