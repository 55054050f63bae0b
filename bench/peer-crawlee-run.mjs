// The peer: the same end-to-end work done the way a Crawlee user would, with its HttpCrawler and
// Readability (on linkedom) in the request handler, the same concurrency and the same per-host
// rate (sameDomainDelaySecs). Run as a child process by peer.mjs, which writes its settings to stdin and reads its JSON line.
import { Configuration, HttpCrawler, log } from '@crawlee/http';
import { Readability } from '@mozilla/readability';
// linkedom as its users install it: distill's own copy carries a patch (patches/) that they do not have.
import { parseHTML } from 'linkedom-stock';

// The settings come on stdin: thousands of URLs do not fit in a command line.
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { urls, concurrency, hostRate } = JSON.parse(input);
log.setLevel(log.LEVELS.OFF);
const config = new Configuration({ persistStorage: false, purgeOnStart: true });
let succeeded = 0;
let failed = 0;
let words = 0;
const crawler = new HttpCrawler(
  {
    maxConcurrency: concurrency,
    minConcurrency: Math.min(concurrency, 16),
    sameDomainDelaySecs: 1 / hostRate,
    maxRequestRetries: 2,
    requestHandlerTimeoutSecs: 30,
    additionalMimeTypes: ['text/html'],
    async requestHandler({ body, request }) {
      const { document } = parseHTML(body.toString());
      const article = new Readability(document).parse();
      if (!article) throw new Error(`No content in ${request.url}`);
      words += (article.textContent ?? '').split(/\s+/).length;
      succeeded++;
    },
    failedRequestHandler() {
      failed++;
    },
  },
  config,
);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await crawler.run(urls);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ succeeded, failed, words, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
