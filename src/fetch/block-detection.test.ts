import { describe, expect, it } from 'vitest';
import { isLoginUrl, judgeBlock, judgeRedirect } from './block-detection.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const CLOUDFLARE =
  '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script>window._cf_chl_opt={cvId:"3"}</script></body></html>';

describe('judgeBlock', () => {
  it('recognises a Cloudflare-like challenge on a 403 or 503, and on a 200', () => {
    expect(judgeBlock(403, bytes(CLOUDFLARE))?.reason).toBe('cloudflare_challenge');
    expect(judgeBlock(503, bytes(CLOUDFLARE))?.kind).toBe('blocked_by_site');
    expect(judgeBlock(200, bytes(CLOUDFLARE))?.reason).toBe('cloudflare_challenge');
  });

  it('recognises other walls by their own markers', () => {
    expect(
      judgeBlock(403, bytes('<script src="https://ct.captcha-delivery.com/c.js"></script>'))?.reason,
    ).toBe('datadome_challenge');
    expect(judgeBlock(403, bytes('<div id="px-captcha"></div>'))?.reason).toBe('perimeterx_challenge');
    expect(judgeBlock(200, bytes('<iframe src="/_Incapsula_Resource?x=1"></iframe>'))?.reason).toBe(
      'imperva_challenge',
    );
    expect(
      judgeBlock(
        403,
        bytes(
          "<html><head><title>Access Denied</title></head><body>You don't have permission. Reference #18.abc</body></html>",
        ),
      )?.reason,
    ).toBe('akamai_denied');
  });

  it('recognises every marker of every wall, in any case (the one-pass check in front misses none)', () => {
    const markers: Array<[string, string]> = [
      ['window._cf_chl_opt={}', 'cloudflare_challenge'],
      ['<script src="/cdn-cgi/challenge-platform/h/b/orchestrate"></script>', 'cloudflare_challenge'],
      ['<div class="cf-browser-verification"></div>', 'cloudflare_challenge'],
      ['<title> Just A Moment... </title>', 'cloudflare_challenge'],
      ['<h1>Attention Required! | Cloudflare</h1>', 'cloudflare_challenge'],
      ['<script src="https://geo.captcha-delivery.com/c.js"></script>', 'datadome_challenge'],
      ['window._pxCaptcha = 1', 'perimeterx_challenge'],
      ['<!-- PerimeterX -->', 'perimeterx_challenge'],
      ['Incapsula incident ID: 123', 'imperva_challenge'],
      ['<script src="https://x.token.awswaf.com/x/challenge.js"></script>', 'aws_waf_challenge'],
      ['document.cookie = "aws-waf-token=1"', 'aws_waf_challenge'],
      ['<div class="cf-turnstile"></div>', 'captcha'],
      ['<script src="https://hcaptcha.com/1/api.js"></script>', 'captcha'],
      ['<script src="https://www.google.com/recaptcha/api.js"></script>', 'captcha'],
      ['<script src="https://challenges.cloudflare.com/turnstile/v0/api.js"></script>', 'captcha'],
    ];
    for (const [marker, reason] of markers) {
      expect(judgeBlock(403, bytes(`<html><body>${marker}</body></html>`))?.reason, marker).toBe(reason);
      expect(
        judgeBlock(403, bytes(`<html><body>${marker.toUpperCase()}</body></html>`))?.reason,
        marker.toUpperCase(),
      ).toBe(reason);
    }
  });

  it('calls a small captcha page blocked, but not a long page with a captcha on its contact form', () => {
    const widget = '<form><div class="g-recaptcha" data-sitekey="x"></div></form>';
    expect(
      judgeBlock(200, bytes(`<html><body><p>Verify you are human</p>${widget}</body></html>`))?.reason,
    ).toBe('captcha');
    expect(
      judgeBlock(429, bytes(`<html><body>${'<p>words</p>'.repeat(5000)}${widget}</body></html>`))?.reason,
    ).toBe('captcha');
    expect(
      judgeBlock(
        200,
        bytes(`<html><body>${'<p>An article paragraph.</p>'.repeat(1000)}${widget}</body></html>`),
      ),
    ).toBeUndefined();
  });

  it('leaves ordinary pages and ordinary errors alone', () => {
    expect(
      judgeBlock(
        200,
        bytes('<html><head><title>Hello</title></head><body><p>Cloudflare is a company.</p></body></html>'),
      ),
    ).toBeUndefined();
    expect(judgeBlock(403, bytes('<html><body>Forbidden</body></html>'))).toBeUndefined();
  });
});

describe('login redirects', () => {
  it('sees a redirect from a page to a login page as login_required, not one to another page', () => {
    expect(
      judgeRedirect(new URL('https://app.test/reports/1'), new URL('https://app.test/login?next=/reports/1'))
        ?.kind,
    ).toBe('login_required');
    expect(
      judgeRedirect(new URL('https://app.test/x'), new URL('https://accounts.example.com/o/oauth2'))?.kind,
    ).toBe('login_required');
    expect(
      judgeRedirect(new URL('https://app.test/x'), new URL('https://app.test/users/sign_in'))?.kind,
    ).toBe('login_required');
    expect(judgeRedirect(new URL('https://app.test/old'), new URL('https://app.test/new'))).toBeUndefined();
    // Asking for the login page itself is not a wall.
    expect(
      judgeRedirect(new URL('https://app.test/login'), new URL('https://app.test/login/')),
    ).toBeUndefined();
    expect(isLoginUrl(new URL('https://blog.test/blogin-tips'))).toBe(false);
  });
});
