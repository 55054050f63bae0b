import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { DistillClient } from '../../src/client/index.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { waitFor } from '../helpers/store.js';
import {
  ARTICLE_PARAGRAPHS,
  CHROMIUM_PATH,
  hasChromium,
  SKIP_REASON,
  startCountingServer,
  startSite,
  type TestSite,
} from './site.js';

function envFor(sitePort: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DISTILL_FETCH_ALLOW: `127.0.0.1:${sitePort}`,
    DISTILL_CONCURRENCY: '4',
    DISTILL_HOST_RATE: '100',
    DISTILL_HOST_BURST: '20',
    DISTILL_EXTRACT_THREADS: '1',
    DISTILL_CHROMIUM_PATH: CHROMIUM_PATH,
    DISTILL_RENDER_PAGES: '2',
    ...extra,
  };
}

describe.skipIf(!hasChromium)(
  `rendering through the whole service (${hasChromium ? 'Chromium found' : SKIP_REASON})`,
  () => {
    let site: TestSite;
    let forbidden: Awaited<ReturnType<typeof startCountingServer>>;
    let testApp: TestApp | undefined;
    let app: App;
    let client: DistillClient;

    beforeAll(async () => {
      forbidden = await startCountingServer();
      site = await startSite({ forbiddenOrigin: forbidden.origin });
      testApp = await startFetchingApp(envFor(site.port), { prefix: 'distill-render-' });
      app = testApp.app;
      client = new DistillClient({ baseUrl: app.url! });
    });

    afterAll(async () => {
      await testApp?.close();
      await site?.close();
      await forbidden?.close();
    });

    it('launches no browser until a page needs one', async () => {
      const doc = await client.extract(`${site.origin}/plain`, { render: 'auto', maxAge: 0 });
      expect(doc.quality).toMatchObject({ renderPath: 'plain' });
      expect(app.renderer?.stats.launches).toBe(0);
    });

    it('render "never" stores the shell as fetched', async () => {
      const doc = await client.extract(`${site.origin}/shell`, { render: 'never', maxAge: 0 });
      expect(doc.text).not.toContain(ARTICLE_PARAGRAPHS[0]);
      expect(doc.quality).toMatchObject({ renderPath: 'plain' });
    });

    it('render "always" stores the content the scripts built, with a screenshot', async () => {
      const doc = await client.extract(`${site.origin}/shell`, {
        render: 'always',
        screenshot: 'fullPage',
        maxAge: 0,
      });
      expect(doc.text).toContain(ARTICLE_PARAGRAPHS[3]);
      expect(doc.title).toBe('Harbour app');
      expect(doc.quality).toMatchObject({ renderPath: 'rendered', screenshot: 'fullPage' });
      const response = await fetch(`${app.url}/v1/documents/${doc.id}/screenshot`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await response.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    });

    it('render "auto" renders the shell, says why, and drops the screenshot of an older fetch', async () => {
      const doc = await client.extract(`${site.origin}/shell`, { render: 'auto', maxAge: 0 });
      expect(doc.text, JSON.stringify(doc.quality)).toContain(ARTICLE_PARAGRAPHS[2]);
      expect(doc.quality).toMatchObject({ renderPath: 'rendered', appShell: 'marker:#root' });
      const response = await fetch(`${app.url}/v1/documents/${doc.id}/screenshot`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'not_found' });
    });

    it('answers 404 document_not_found for the screenshot of no document', async () => {
      const response = await fetch(`${app.url}/v1/documents/nope/screenshot`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'document_not_found' });
    });

    it('keeps the guard: a rendered page reaches no address the allow list does not name', async () => {
      const doc = await client.extract(`${site.origin}/leaky`, { render: 'always', maxAge: 0 });
      expect(doc.text).toContain(ARTICLE_PARAGRAPHS[0]);
      expect(Number(doc.quality.renderGuardBlockedRequests)).toBeGreaterThanOrEqual(3);
      expect(forbidden.connections()).toBe(0);
    });

    it('shows the options on the job', async () => {
      const { job } = await client.submit([`${site.origin}/plain`], {
        render: 'always',
        screenshot: 'viewport',
      });
      expect(job.options).toMatchObject({ render: 'always', screenshot: 'viewport' });
      const defaults = await client.submit([`${site.origin}/plain?d`]);
      expect(defaults.job.options).toMatchObject({ render: 'auto', screenshot: 'none' });
    });
  },
);

describe('a worker without --render', () => {
  let site: TestSite;
  let testApp: TestApp | undefined;
  let app: App;

  beforeAll(async () => {
    site = await startSite();
    testApp = await startFetchingApp(envFor(site.port), { prefix: 'distill-render-', role: 'worker' });
    app = testApp.app;
  });

  afterAll(async () => {
    await testApp?.close();
    await site?.close();
  });

  it('hosts no browser, keeps the plain page for "auto", and hands "always" back for a render worker', async () => {
    expect(app.renderer).toBeUndefined();
    const auto = await app.jobs.submit({
      urls: [`${site.origin}/shell`],
      options: { render: 'auto', maxAgeSeconds: 0 },
    });
    const always = await app.jobs.submit({
      urls: [`${site.origin}/shell?always`],
      options: { render: 'always', maxAgeSeconds: 0 },
    });
    await waitFor(
      async () => (await app.jobs.getJob(auto.job.id)).status === 'completed',
      15_000,
      'the auto job',
    );
    const [autoItem] = (await app.repository.listItems(auto.job.id, { limit: 1 })).items;
    const doc = await app.repository.getDocument(autoItem!.documentId!);
    expect(doc?.quality).toMatchObject({
      renderPath: 'plain',
      appShell: 'marker:#root',
      renderSkipped: 'no_browser',
    });
    await waitFor(
      async () =>
        (await app.repository.listItems(always.job.id, { limit: 1 })).items[0]?.error?.code ===
        'render_unavailable',
      15_000,
      'the always item to wait for a render worker',
    );
    const [alwaysItem] = (await app.repository.listItems(always.job.id, { limit: 1 })).items;
    expect(alwaysItem).toMatchObject({ state: 'queued', attempts: 0 });
  });
});
