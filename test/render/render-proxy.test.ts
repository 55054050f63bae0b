/**
 * Rendering through a pool's proxy (issue 20), with real Chromium and a real tinyproxy: a page
 * rendered for a job with a `proxyPool` sends its own requests (scripts, XHR) through the proxy that
 * fetched it, the document names that proxy, a render without a pool still goes directly, and a
 * loopback canary the guard does not allow gets zero connections through the render+proxy path.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { DistillClient } from '../../src/client/index.js';
import { startFetchingApp } from '../helpers/app-server.js';
import { waitFor } from '../helpers/store.js';
import { hasMicrosocks, startMicrosocks, type TestSocksProxy } from '../helpers/socks.js';
import { hasTinyproxy, startTinyproxy, type TestProxy } from '../helpers/tinyproxy.js';
import {
  ARTICLE_PARAGRAPHS,
  CHROMIUM_PATH,
  hasChromium,
  SKIP_REASON,
  startCountingServer,
  startSite,
  type TestSite,
} from './site.js';

const READY = hasChromium && hasTinyproxy;
const WHY = !hasChromium
  ? SKIP_REASON
  : !hasTinyproxy
    ? 'needs tinyproxy (.ci/run installs it)'
    : 'Chromium and tinyproxy found';

describe.skipIf(!READY)(`rendering through a pool's proxy (${WHY})`, () => {
  let site: TestSite;
  let canary: Awaited<ReturnType<typeof startCountingServer>>;
  let tinyproxy: TestProxy;
  let socks: TestSocksProxy | undefined;
  let dir: string;
  let app: App;
  let client: DistillClient;

  /** CONNECTs tinyproxy logged to `port` (the egress proxy asks it for the checked address). */
  const connectsTo = (port: number): number =>
    tinyproxy.requests().filter((line) => line.startsWith(`CONNECT 127.0.0.1:${port} `)).length;
  const proxyStats = () => app.renderer!.stats.proxy!;
  /** Routes opened since start; the egress proxy starts with the first render through a pool. */
  const routesOpened = () => app.renderer!.stats.proxy?.routesOpened ?? 0;

  beforeAll(async () => {
    canary = await startCountingServer();
    site = await startSite({ forbiddenOrigin: canary.origin });
    tinyproxy = await startTinyproxy({ user: 'render', password: 'pa55' });
    if (hasMicrosocks) socks = await startMicrosocks({ user: 'crawler', password: 's0cks' });
    const pools = [
      { name: 'tp', proxies: [{ name: 'tp1', url: tinyproxy.url }] },
      ...(socks ? [{ name: 'socks', proxies: [{ name: 'ms1', url: socks.url }] }] : []),
    ];
    ({ app, dir } = await startFetchingApp(
      {
        // Only the site: the canary (same address, another port) is not allowed.
        DISTILL_FETCH_ALLOW: `127.0.0.1:${site.port}`,
        DISTILL_PROXY_POOLS: JSON.stringify(pools),
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_CHROMIUM_PATH: CHROMIUM_PATH,
        DISTILL_RENDER_PAGES: '2',
        DISTILL_HOST_RATE: '100',
        DISTILL_HOST_BURST: '20',
      },
      { prefix: 'distill-render-proxy-' },
    ));
    client = new DistillClient({ baseUrl: app.url! });
  });

  afterAll(async () => {
    await app?.stop();
    await tinyproxy?.stop();
    await socks?.stop();
    await site?.close();
    await canary?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("renders a page through the pool's proxy: its script and XHR go through tinyproxy, and the document names the proxy", async () => {
    const before = connectsTo(site.port);
    const routesBefore = routesOpened();
    const doc = await client.extract(`${site.origin}/shell`, {
      render: 'always',
      proxyPool: 'tp',
      maxAge: 0,
    });
    expect(doc.text).toContain(ARTICLE_PARAGRAPHS[3]);
    expect(doc.quality).toMatchObject({ renderPath: 'rendered', proxyPool: 'tp', proxy: 'tp1' });
    // The plain fetch of /shell (its first tunnel), then the browser's /app.js and /api/article: one each.
    expect(connectsTo(site.port) - before).toBeGreaterThanOrEqual(3);
    expect(proxyStats().proxied).toBeGreaterThanOrEqual(2);
    // The context opened one route of its own (a listener of the egress proxy), open until the
    // context closes: after 2 s idle, which a loaded machine may reach before this line runs.
    expect(routesOpened() - routesBefore).toBe(1);
    expect(proxyStats().openRoutes).toBeLessThanOrEqual(1);
    expect(JSON.stringify(doc)).not.toContain('pa55');
  });

  it.skipIf(!hasMicrosocks)(
    'renders through a SOCKS5 proxy with credentials the same way (microsocks)',
    async () => {
      const toSite = (): number => socks!.connections().filter((c) => c === `127.0.0.1:${site.port}`).length;
      const before = toSite();
      const doc = await client.extract(`${site.origin}/shell`, {
        render: 'always',
        proxyPool: 'socks',
        maxAge: 0,
      });
      expect(doc.text).toContain(ARTICLE_PARAGRAPHS[3]);
      expect(doc.quality).toMatchObject({ renderPath: 'rendered', proxyPool: 'socks', proxy: 'ms1' });
      // The fetch, then the browser's /app.js and /api/article.
      expect(toSite() - before).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(doc)).not.toContain('s0cks');
    },
  );

  it('renders a page without a pool directly: tinyproxy hears nothing of it', async () => {
    const before = connectsTo(site.port);
    const proxiedBefore = proxyStats().proxied;
    const scripts = site.requests.get('/app.js') ?? 0;
    const doc = await client.extract(`${site.origin}/shell`, { render: 'always', maxAge: 0 });
    expect(doc.text).toContain(ARTICLE_PARAGRAPHS[3]);
    expect(doc.quality).toMatchObject({ renderPath: 'rendered' });
    expect(doc.quality).not.toHaveProperty('proxy');
    expect(site.requests.get('/app.js') ?? 0).toBeGreaterThan(scripts);
    expect(connectsTo(site.port)).toBe(before);
    expect(proxyStats().proxied).toBe(proxiedBefore);
  });

  it('gives a loopback canary the guard does not allow zero connections through the render+proxy path', async () => {
    const blockedBefore = app.renderer!.stats.proxy?.blocked ?? 0;
    const doc = await client.extract(`${site.origin}/leaky`, {
      render: 'always',
      proxyPool: 'tp',
      maxAge: 0,
    });
    expect(doc.text).toContain(ARTICLE_PARAGRAPHS[0]);
    expect(doc.quality).toMatchObject({ renderPath: 'rendered', proxy: 'tp1' });
    expect(doc.quality.renderGuardBlockedRequests).toBeGreaterThanOrEqual(3);
    // The WebSocket is not seen by request routing: the egress proxy refuses its CONNECT itself.
    expect(proxyStats().blocked).toBeGreaterThan(blockedBefore);
    expect(connectsTo(canary.port)).toBe(0);
    expect(tinyproxy.requests().some((line) => line.includes(`:${canary.port}`))).toBe(false);
    expect(canary.connections()).toBe(0);
  });

  it("closes each context's route when the context closes", async () => {
    // Contexts close after 2 s idle; their routes go with them.
    await waitFor(() => proxyStats().openRoutes === 0, 15_000, 'every route closed');
    expect(app.renderer!.stats.openContexts).toBe(0);
  });

  it("closes a context's route when its browser crashes, and the next render through the proxy launches a new one", async () => {
    const routesBefore = routesOpened();
    await client.extract(`${site.origin}/shell`, { render: 'always', proxyPool: 'tp', maxAge: 0 });
    expect(routesOpened() - routesBefore).toBe(1);
    const launches = app.renderer!.stats.launches;
    for (const pid of (await app.renderer!.usage()).pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone with its parent already.
      }
    }
    await waitFor(() => proxyStats().openRoutes === 0, 15_000, "the crashed context's route closed");
    const before = connectsTo(site.port);
    const doc = await client.extract(`${site.origin}/shell`, {
      render: 'always',
      proxyPool: 'tp',
      maxAge: 0,
    });
    expect(doc.text).toContain(ARTICLE_PARAGRAPHS[3]);
    expect(doc.quality).toMatchObject({ renderPath: 'rendered', proxy: 'tp1' });
    expect(app.renderer!.stats.launches).toBe(launches + 1);
    // The new browser's /app.js and /api/article (the fetch may reuse its kept-alive tunnel).
    expect(connectsTo(site.port) - before).toBeGreaterThanOrEqual(2);
  });
});
