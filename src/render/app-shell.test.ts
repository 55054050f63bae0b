import { describe, expect, it } from 'vitest';
import { judgeAppShell, looksLikeAppShell, SHELL_MAX_TEXT_CHARS, visibleTextLength } from './app-shell.js';

const html = (body: string, head = '<title>t</title>'): string =>
  `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;
const short = { mimeType: 'text/html', textLength: 20 };
const LONG_TEXT = 'Words of a real article. '.repeat(40);

// Modelled on the index.html each tool generates.
const SHELLS: Record<string, string> = {
  'create-react-app': html(
    '<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>',
    '<script defer src="/static/js/main.js"></script>',
  ),
  vite: html('<div id="app"></div><script type="module" src="/src/main.ts"></script>'),
  'vue-cli': html(
    `<noscript><strong>We're sorry but shop doesn't work properly without JavaScript enabled. Please enable it to continue.</strong></noscript><div id=app></div>`,
  ),
  angular: html(
    '<app-root></app-root><script src="runtime.js" type="module"></script><script src="main.js" type="module"></script>',
  ),
  'next.js (client only)': html(
    '<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{"props":{}}</script>',
  ),
  nuxt: html('<div id="__nuxt"></div><script>window.__NUXT__={}</script>'),
  gatsby: html('<div id="___gatsby"></div><script src="/app.js"></script>'),
  sveltekit: html(
    '<div style="display: contents" data-sveltekit-preload-data="hover"></div><script type="module">import("/_app/start.js")</script>',
  ),
  ember: `<!doctype html><html><head></head><body class="ember-application"><script src="/assets/vendor.js"></script></body></html>`,
  flutter: html('<script src="flutter_bootstrap.js" async></script>'),
  blazor: html('<app>Loading...</app><script src="_framework/blazor.webassembly.js"></script>'),
  'bare script page': html('<script src="/bundle.js"></script><script>boot()</script>'),
  'noscript only': html(
    '<noscript>This site requires JavaScript. Please turn it on.</noscript><main></main>',
  ),
};

describe('looksLikeAppShell', () => {
  it.each(Object.entries(SHELLS))('calls the %s starter page a shell', (_name, page) => {
    expect(judgeAppShell(page, short)).toMatchObject({ isShell: true });
  });

  it('names the signal that decided', () => {
    expect(judgeAppShell(SHELLS['create-react-app']!, short).reason).toBe('marker:#root');
    expect(judgeAppShell(SHELLS.angular!, short).reason).toBe('marker:angular');
    expect(judgeAppShell(SHELLS['noscript only']!, short).reason).toBe('noscript');
    expect(judgeAppShell(SHELLS['bare script page']!, short).reason).toBe('script-only');
  });

  it('never calls a page with enough main text a shell, even a server-rendered React page', () => {
    const ssr = html(
      `<div id="root" data-reactroot=""><article><p>${LONG_TEXT}</p></article></div><script src="/main.js"></script>`,
    );
    expect(looksLikeAppShell(ssr, { mimeType: 'text/html', textLength: SHELL_MAX_TEXT_CHARS })).toBe(false);
    expect(judgeAppShell(ssr, { mimeType: 'text/html', textLength: 5000 }).reason).toBe('text');
  });

  it('leaves a short post on a script-heavy page alone when the page shows text around it', () => {
    // Real blogs: a photo and a caption for main text, twenty scripts, and a sidebar full of links.
    const scripts = '<script src="/a.js"></script>'.repeat(20);
    const page = html(
      `<nav>${'<a href="/x">Archive link</a> '.repeat(30)}</nav><article><img src="p.jpg"><p>A caption.</p></article>${scripts}`,
    );
    expect(judgeAppShell(page, short)).toEqual({ isShell: false, reason: 'no-signal' });
  });

  it('leaves short pages without scripts or markers alone', () => {
    expect(looksLikeAppShell(html('<p>Gone fishing.</p>'), short)).toBe(false);
    expect(
      looksLikeAppShell(html('<p>404: no such page</p>'), { mimeType: 'text/html', textLength: 18 }),
    ).toBe(false);
  });

  it('only judges HTML', () => {
    expect(judgeAppShell(SHELLS.vite!, { mimeType: 'application/pdf', textLength: 0 }).reason).toBe(
      'not-html',
    );
  });

  it('does not take an id that merely starts like a mount point, or a noscript about something else', () => {
    expect(looksLikeAppShell(html('<div id="application-form"></div><p>Fill in the form.</p>'), short)).toBe(
      false,
    );
    expect(
      looksLikeAppShell(
        html('<noscript><img src="/pixel.gif"></noscript><p>Hello there, reader.</p>'),
        short,
      ),
    ).toBe(false);
  });

  it('measures visible text without scripts, styles and comments', () => {
    expect(
      visibleTextLength(
        html('<style>p{}</style><script>var x = "lots of code";</script><!-- note --><p>Hi  there</p>'),
      ),
    ).toBe('Hi there'.length);
  });
});
