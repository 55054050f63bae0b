import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { existsSync } from 'node:fs';

/** Chromium of the machine; the render tests skip without it. */
export const CHROMIUM_PATH = process.env.DISTILL_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);
export const SKIP_REASON = `needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium); skipped when absent`;

export const ARTICLE_PARAGRAPHS = [
  'The harbour woke slowly that morning, fishing boats drifting in the grey light while gulls argued over the nets.',
  'By noon the market was full: crates of mackerel, baskets of mussels, and a crowd of cooks comparing prices loudly.',
  'Nobody noticed the small boat that came in last, its sail patched with an old flag, carrying a single passenger.',
  'She stepped onto the quay with a suitcase and a letter, asked for the lighthouse keeper, and was told he had left.',
];

/** The shell: nothing in the HTML but a mount point; a script fills it after load and a delayed XHR. */
function shellPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbour app</title></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
<script src="/app.js"></script></body></html>`;
}

const APP_JS = `window.addEventListener('load', () => {
  setTimeout(() => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', '/api/article');
    xhr.onload = () => {
      const data = JSON.parse(xhr.responseText);
      const article = document.createElement('article');
      const h1 = document.createElement('h1');
      h1.textContent = data.title;
      article.appendChild(h1);
      for (const text of data.paragraphs) {
        const p = document.createElement('p');
        p.textContent = text;
        article.appendChild(p);
      }
      document.getElementById('root').appendChild(article);
    };
    xhr.send();
  }, 150);
});`;

/** A page whose own text is real but which reaches for a forbidden address in every way it can. */
function leakyPage(forbidden: string): string {
  const wsUrl = forbidden.replace('http:', 'ws:');
  return `<!doctype html><html lang="en"><head><title>Leaky</title>
<link rel="stylesheet" href="${forbidden}/style.css"><script src="${forbidden}/tracker.js"></script></head>
<body><article><h1>Leaky page</h1>${ARTICLE_PARAGRAPHS.map((p) => `<p>${p}</p>`).join('')}
<img src="${forbidden}/pixel.png"><iframe src="${forbidden}/frame.html"></iframe></article>
<script>
  fetch('${forbidden}/api').catch(() => {});
  try { const ws = new WebSocket('${wsUrl}/socket'); ws.onerror = () => {}; } catch (e) {}
  navigator.sendBeacon && navigator.sendBeacon('${forbidden}/beacon', 'x');
</script></body></html>`;
}

export interface TestSite {
  origin: string;
  port: number;
  requests: Map<string, number>;
  close(): Promise<void>;
}

/** The allowed site: `/shell`, `/app.js`, `/api/article` (300 ms late), `/leaky`, `/plain`. */
export async function startSite(options: { forbiddenOrigin?: string } = {}): Promise<TestSite> {
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    switch (path) {
      case '/robots.txt':
        return send(404, 'text/plain', '');
      case '/shell':
        return send(200, 'text/html; charset=utf-8', shellPage());
      case '/app.js':
        return send(200, 'application/javascript', APP_JS);
      case '/api/article':
        setTimeout(
          () =>
            send(
              200,
              'application/json',
              JSON.stringify({ title: 'The harbour', paragraphs: ARTICLE_PARAGRAPHS }),
            ),
          300,
        );
        return;
      case '/leaky':
        return send(
          200,
          'text/html; charset=utf-8',
          leakyPage(options.forbiddenOrigin ?? 'http://127.0.0.1:9'),
        );
      case '/plain':
        return send(
          200,
          'text/html; charset=utf-8',
          `<!doctype html><html><head><title>Plain</title></head><body><article><h1>Plain</h1>${ARTICLE_PARAGRAPHS.map((p) => `<p>${p}</p>`).join('')}</article></body></html>`,
        );
      default:
        return send(404, 'text/plain', 'not here');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server on another loopback port that only counts connections: it must see none. */
export async function startCountingServer(): Promise<{
  origin: string;
  port: number;
  connections: () => number;
  close(): Promise<void>;
}> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
