/**
 * Pages of the browser tests' corpus server: `/article/<n>` is an article with headings, a list,
 * a quote, code and links (so the rendered Markdown has something to show), `/missing/<n>` is a
 * 404, `/slow/<n>` answers after a minute (a job that is still running when the test cancels it).
 */
import { startCorpusServer as startUntyped } from '../../bench/corpus-server.mjs';

export interface CorpusServer {
  origins: string[];
  stats: { requests: number };
  close(): Promise<void>;
}

interface CorpusResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

const startCorpusServer = startUntyped as (options: {
  hosts?: number;
  latencyMs?: number;
  jitterMs?: number;
  handler: (path: string) => CorpusResponse | Promise<CorpusResponse>;
}) => Promise<CorpusServer>;

const TOPICS = [
  'Tide pools',
  'Bread ovens',
  'Glacier maps',
  'Night trains',
  'Paper kites',
  'Salt marshes',
  'Bee dances',
  'Clock towers',
];

/** The title of article `n`. */
export function articleTitle(n: number): string {
  return `${TOPICS[n % TOPICS.length]} field notes ${n}`;
}

function article(n: number): string {
  const title = articleTitle(n);
  const paragraph = (i: number): string =>
    `<p>Observation ${i} of entry ${n}: the notes describe what was seen, when and where, with enough words for the extractor to treat this block as the main content of the page rather than as boilerplate around it.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Field Journal</title>
<meta name="description" content="Entry ${n} of a field journal about ${TOPICS[n % TOPICS.length]!.toLowerCase()}.">
<meta name="author" content="A. Walker"></head>
<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><article><h1>${title}</h1>
${paragraph(1)}${paragraph(2)}
<h2>What we measured</h2>
<ul><li>Water temperature at dawn</li><li>Wind direction, <strong>hourly</strong></li><li>Number of visitors</li></ul>
${paragraph(3)}
<blockquote><p>Patience is the main instrument of the field worker.</p></blockquote>
<h2>Method</h2>
<pre><code>measure --site ${n} --every 1h</code></pre>
${paragraph(4)}
<p>See also <a href="/article/${n + 1}">the next entry</a> and <a href="https://example.org/reference">the reference table</a>.</p>
</article></main><footer>© Field Journal</footer></body></html>`;
}

/** Starts the corpus server on loopback with a little latency, so progress is visible. */
export function startWebCorpus(): Promise<CorpusServer> {
  return startCorpusServer({
    hosts: 2,
    latencyMs: 40,
    jitterMs: 120,
    handler(path) {
      const match = /^\/(article|missing|slow)\/(\d+)/.exec(path);
      if (!match) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not here' };
      const n = Number(match[2]);
      if (match[1] === 'missing')
        return { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not found</h1>' };
      if (match[1] === 'slow') return { body: article(n), delayMs: 60_000 };
      return { body: article(n) };
    },
  });
}
