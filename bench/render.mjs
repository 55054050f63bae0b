// Render scenario: how many pages per second the browser pool renders and what memory each page in
// flight costs. A local site serves application shells whose content arrives by XHR 150 ms after
// load (the server answers 300 ms later) and pages that build their text in an inline script; the
// pool renders RENDERS of them with its default number of pages in flight, recycling browsers as
// configured. Processes, RSS and PSS of the browsers are read from /proc after every batch; memory
// per page in flight is (peak PSS - idle browser PSS) / pages in flight.
import { startCorpusServer } from './corpus-server.mjs';
import { parseAllowList } from '../dist/fetch/index.js';
import { BrowserPool, defaultRenderPages, usageOfMarkedProcesses } from '../dist/render/index.js';

const RENDERS = Number(process.env.BENCH_RENDERS ?? 200);
const PAGES = Number(process.env.BENCH_RENDER_PAGES ?? defaultRenderPages());
const RECYCLE_AFTER = Number(process.env.BENCH_RENDER_RECYCLE_AFTER ?? 100);
const CHROMIUM = process.env.DISTILL_CHROMIUM_PATH ?? '/usr/bin/chromium';

const PARAGRAPH =
  'The harbour woke slowly that morning, fishing boats drifting in the grey light while gulls argued over the nets. ';

function handler(path) {
  if (path.startsWith('/shell/')) {
    return {
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!doctype html><html><head><title>Shell</title></head><body><div id="root"></div><script src="/app.js"></script></body></html>`,
    };
  }
  if (path === '/app.js') {
    return {
      headers: { 'content-type': 'application/javascript' },
      body: `addEventListener('load', () => setTimeout(() => fetch('/api/article').then((r) => r.json()).then((d) => {
        const a = document.createElement('article'); for (const t of d.paragraphs) { const p = document.createElement('p'); p.textContent = t; a.appendChild(p); }
        document.getElementById('root').appendChild(a); }), 150));`,
    };
  }
  if (path === '/api/article') {
    return {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paragraphs: Array(8).fill(PARAGRAPH.repeat(4)) }),
      delayMs: 300,
    };
  }
  if (path.startsWith('/inline/')) {
    return {
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!doctype html><html><head><title>Inline</title></head><body><div id="app"></div><script>
        const a = document.createElement('article'); for (let i = 0; i < 8; i++) { const p = document.createElement('p'); p.textContent = ${JSON.stringify(PARAGRAPH.repeat(4))}; a.appendChild(p); }
        document.getElementById('app').appendChild(a);</script></body></html>`,
    };
  }
  return { status: 404, body: '' };
}

export async function run() {
  const corpus = await startCorpusServer({ handler });
  const port = Number(new URL(corpus.origins[0]).port);
  const pool = new BrowserPool({
    executablePath: CHROMIUM,
    allow: parseAllowList(`127.0.0.1:${port}`),
    maxPages: PAGES,
    recycleAfterPages: RECYCLE_AFTER,
  });
  const samples = [];
  const sample = async () => {
    const usage = await usageOfMarkedProcesses('--distill-browser=');
    samples.push({
      processes: usage.pids.length,
      rssMb: usage.rssBytes / 1048576,
      pssMb: usage.pssBytes / 1048576,
    });
  };
  const rows = [];
  try {
    await pool.start();
    await sample();
    for (const kind of ['inline', 'shell']) {
      let next = 0;
      let failures = 0;
      let contentMisses = 0;
      const t0 = performance.now();
      const worker = async (w) => {
        for (;;) {
          const i = next++;
          if (i >= RENDERS) return;
          try {
            const result = await pool.render({
              url: `${corpus.origins[0]}/${kind}/${i}`,
              timeoutMs: 30_000,
              contextKey: `job-${w}`,
            });
            if (!result.html.includes('fishing boats')) contentMisses++;
          } catch {
            failures++;
          }
          if (i % PAGES === 0) await sample();
        }
      };
      await Promise.all(Array.from({ length: PAGES }, (_, w) => worker(w)));
      const seconds = (performance.now() - t0) / 1000;
      const relevant = samples.slice(1);
      const maxRss = Math.max(...relevant.map((s) => s.rssMb));
      const maxPss = Math.max(...relevant.map((s) => s.pssMb));
      rows.push({
        pages: kind,
        renders: RENDERS,
        inFlight: PAGES,
        pagesPerSecond: Number((RENDERS / seconds).toFixed(2)),
        failures,
        contentMisses,
        maxProcesses: Math.max(...relevant.map((s) => s.processes)),
        maxRssMb: Math.round(maxRss),
        lastRssMb: Math.round(relevant.at(-1)?.rssMb ?? 0),
        maxPssMb: Math.round(maxPss),
        lastPssMb: Math.round(relevant.at(-1)?.pssMb ?? 0),
        pssPerPageInFlightMb: Math.round((maxPss - (samples[0]?.pssMb ?? 0)) / PAGES),
        launches: pool.stats.launches,
      });
      samples.splice(1);
    }
  } finally {
    await pool.stop();
    await corpus.close();
  }
  const after = await usageOfMarkedProcesses('--distill-browser=');
  return {
    rows,
    idleRssMb: Math.round(samples[0]?.rssMb ?? 0),
    idlePssMb: Math.round(samples[0]?.pssMb ?? 0),
    processesAfterStop: after.pids.length,
    recycleAfter: RECYCLE_AFTER,
    stats: pool.stats,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await run();
  console.table(result.rows);
  console.log(JSON.stringify({ ...result, rows: undefined }, null, 2));
}
