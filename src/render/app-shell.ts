/**
 * The `auto` rule: does the HTML a plain fetch returned look like an application shell, a page
 * whose content a script builds in the browser? Then `render: "auto"` renders it.
 *
 * A page is a shell when its extracted main text is short (under `SHELL_MAX_TEXT_CHARS`) AND the
 * HTML shows that a script owns the page:
 * - a framework mount point: `id="root"`, `"app"`, `"__next"`, `"__nuxt"`, `"___gatsby"`,
 *   `"svelte"`, `"q-app"`, `<app-root>` (Angular), `data-reactroot`, `ng-version`, `ng-app`,
 *   `data-sveltekit-*`, `data-v-app`, Flutter's `flutter.js`/`<flt-`, Blazor's `_framework/`; or
 * - a `<noscript>` asking for JavaScript ("enable JavaScript", "requires JavaScript", "JavaScript is
 *   disabled", ...); or
 * - script only: the page has scripts and under `SCRIPT_ONLY_MAX_PAGE_TEXT_CHARS` characters of
 *   visible text anywhere (navigation and footer included).
 *
 * Why these numbers (measured on the 960 real pages of ../shared/datasets, all server-rendered
 * articles, and on the index.html of create-react-app, Vite, Vue CLI, Angular CLI, Next.js
 * (client-only), Nuxt (SPA), SvelteKit (SPA), Gatsby, Ember, Flutter web and Blazor WASM): every
 * shell extracts to under 100 characters (its "Loading…" or the noscript text at most), while the
 * real pages that carry a framework marker (SSR'd React/Vue/Next, 11% of the set) extract to
 * thousands. The markers alone would re-render those SSR pages for nothing, so the text gate comes
 * first; 500 characters keeps short shells with a cookie banner or a footer below it.
 */

/** Extracted main text shorter than this may be a shell; longer text is content. */
export const SHELL_MAX_TEXT_CHARS = 500;
/** "Mostly script": a page with scripts and less visible text than this anywhere (nav, footer included). */
export const SCRIPT_ONLY_MAX_PAGE_TEXT_CHARS = 200;
/** Only the first bytes of a large page are scanned for markers; mount points sit near the top. */
export const SHELL_SCAN_MAX_CHARS = 512 * 1024;

/** What the rule needs of the plain extraction. */
export interface ExtractedSummary {
  mimeType: string;
  /** Characters of extracted main text (`quality.textLength`). */
  textLength: number;
}

/** Why a page was judged a shell, or not; `isShell` is the verdict. */
export interface AppShellVerdict {
  isShell: boolean;
  /** The signal that decided, e.g. `marker:#root`, `noscript`, `script-heavy`, `text`, `not-html`. */
  reason: string;
}

const MOUNT_POINT =
  /<(?:div|main|section|body|span)\b[^>]*?\bid\s*=\s*["']?(root|app|__next|__nuxt|___gatsby|svelte|q-app|react-root|app-root|application|main-app|spa-root)["'\s>]/i;

const FRAMEWORK_MARKERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/<app-root\b/i, 'angular'],
  [/\bng-version\s*=/i, 'angular'],
  [/\bng-app\b/i, 'angularjs'],
  [/\bdata-reactroot\b/i, 'react'],
  [/\bdata-sveltekit-[a-z]/i, 'sveltekit'],
  [/\bdata-v-app\b/i, 'vue'],
  [/\bclass\s*=\s*["'][^"']*\bember-application\b/i, 'ember'],
  [/<flt-|\bflutter(?:_bootstrap)?\.js\b/i, 'flutter'],
  [/\b_framework\/blazor\.(?:webassembly|server|web)\.js\b/i, 'blazor'],
];

const NOSCRIPT_JS =
  /<noscript\b[^>]*>[\s\S]{0,400}?(?:(?:enable|enabled|turn on|activate|allow|requires?|need|needs|without)\b[\s\S]{0,60}?javascript|javascript[\s\S]{0,40}?(?:disabled|required|is off|must be|to run|to use|to view|enable))/i;

const SCRIPT_TAG = /<script\b/i;
const INVISIBLE_BLOCKS = /<(script|style|noscript|template|svg)\b[\s\S]*?<\/\1\s*>|<!--[\s\S]*?-->/gi;

/** Characters of text a reader would see anywhere on the page: tags, scripts and styles removed. */
export function visibleTextLength(html: string): number {
  const body = /<body\b[\s\S]*$/i.exec(html)?.[0] ?? html;
  return body
    .replace(INVISIBLE_BLOCKS, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[#\w]+;/g, 'x')
    .replace(/\s+/g, ' ')
    .trim().length;
}

/**
 * True when `html` (the plain fetch's page) is an application shell; see the module comment for
 * the rule. Pure and cheap: it returns at once for pages with enough text, and scans at most
 * `SHELL_SCAN_MAX_CHARS` of the rest.
 */
export function looksLikeAppShell(html: string, extracted: ExtractedSummary): boolean {
  return judgeAppShell(html, extracted).isShell;
}

/**
 * `looksLikeAppShell` with the reason, for the document's quality signals and for tests. `html`
 * may be a function giving the page: it is called only when the extracted text is short, so that
 * a page with enough text never has its bytes turned into a string.
 */
export function judgeAppShell(page: string | (() => string), extracted: ExtractedSummary): AppShellVerdict {
  if (!/html/i.test(extracted.mimeType)) return { isShell: false, reason: 'not-html' };
  if (extracted.textLength >= SHELL_MAX_TEXT_CHARS) return { isShell: false, reason: 'text' };
  const html = typeof page === 'string' ? page : page();
  const head = html.length > SHELL_SCAN_MAX_CHARS ? html.slice(0, SHELL_SCAN_MAX_CHARS) : html;
  const mount = MOUNT_POINT.exec(head);
  if (mount) return { isShell: true, reason: `marker:#${mount[1]!.toLowerCase()}` };
  for (const [pattern, name] of FRAMEWORK_MARKERS) {
    if (pattern.test(head)) return { isShell: true, reason: `marker:${name}` };
  }
  if (NOSCRIPT_JS.test(head)) return { isShell: true, reason: 'noscript' };
  if (SCRIPT_TAG.test(head) && visibleTextLength(head) < SCRIPT_ONLY_MAX_PAGE_TEXT_CHARS) {
    return { isShell: true, reason: 'script-only' };
  }
  return { isShell: false, reason: 'no-signal' };
}
