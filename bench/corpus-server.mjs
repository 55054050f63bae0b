// A local corpus server for tests and benchmarks: many "hosts" (one port each on 127.0.0.1, since
// the per-host limiter keys by host:port), simulated latency and jitter, error rates, and counters
// of requests and of the most requests ever in flight per host, so that tests can check that
// politeness limits held. Loopback only.
import { createServer } from 'node:http';
import { once } from 'node:events';

/**
 * @typedef {object} CorpusResponse
 * @property {number} [status]
 * @property {Record<string, string>} [headers]
 * @property {string | Buffer} [body]
 * @property {number} [delayMs] extra delay before answering
 */

/**
 * @typedef {object} CorpusServerOptions
 * @property {number} [hosts] number of hosts (ports) to open; default 1
 * @property {number} [latencyMs] delay before each response; default 0
 * @property {number} [jitterMs] random extra delay in [0, jitterMs); default 0
 * @property {number} [errorRate] share of requests answered 503 (before the handler); default 0
 * @property {(path: string, host: string, req: import('node:http').IncomingMessage) => CorpusResponse | Promise<CorpusResponse>} handler
 */

/**
 * Starts the server. `urls(n)` spreads n page URLs over the hosts round-robin; `close()` stops it.
 * @param {CorpusServerOptions} options
 */
export async function startCorpusServer(options) {
  const { hosts = 1, latencyMs = 0, jitterMs = 0, errorRate = 0, handler } = options;
  const stats = {
    requests: 0,
    /** @type {Map<string, number>} */
    byPath: new Map(),
    /** @type {Map<string, { inFlight: number, maxInFlight: number, requests: number }>} */
    byHost: new Map(),
  };
  const servers = [];
  const origins = [];
  const sockets = new Set();
  for (let i = 0; i < hosts; i++) {
    const server = createServer(async (req, res) => {
      const host = req.headers.host ?? '';
      const path = req.url ?? '/';
      let hostStats = stats.byHost.get(host);
      if (!hostStats) stats.byHost.set(host, (hostStats = { inFlight: 0, maxInFlight: 0, requests: 0 }));
      hostStats.inFlight++;
      hostStats.requests++;
      hostStats.maxInFlight = Math.max(hostStats.maxInFlight, hostStats.inFlight);
      stats.requests++;
      stats.byPath.set(path, (stats.byPath.get(path) ?? 0) + 1);
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        hostStats.inFlight--;
      };
      res.on('close', done);
      try {
        const wait = latencyMs + (jitterMs > 0 ? Math.random() * jitterMs : 0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (errorRate > 0 && Math.random() < errorRate && !path.startsWith('/robots.txt')) {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('try later');
          return;
        }
        const response = await handler(path, host, req);
        if (response.delayMs) await new Promise((r) => setTimeout(r, response.delayMs));
        res.writeHead(
          response.status ?? 200,
          response.headers ?? { 'content-type': 'text/html; charset=utf-8' },
        );
        res.end(response.body ?? '');
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      } finally {
        done();
      }
    });
    server.keepAliveTimeout = 30_000;
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    origins.push(`http://127.0.0.1:${server.address().port}`);
  }
  return {
    origins,
    stats,
    /** n URLs `origin/p/<i>` spread over the hosts */
    urls(n, prefix = '/p/') {
      return Array.from({ length: n }, (_, i) => `${origins[i % origins.length]}${prefix}${i}`);
    },
    /** the most requests that were ever in flight at once on any one host */
    maxInFlightPerHost() {
      let max = 0;
      for (const h of stats.byHost.values()) max = Math.max(max, h.maxInFlight);
      return max;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
