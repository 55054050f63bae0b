import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList, type LookupFunction } from '../../src/fetch/index.js';
import { EgressProxy } from '../../src/render/index.js';
import { hasTinyproxy, startTinyproxy } from '../helpers/tinyproxy.js';
import { startCountingServer, startSite, type TestSite } from './site.js';

/** Sends `CONNECT authority` through the proxy; resolves with the status line and the socket. */
async function connectThrough(
  proxyUrl: string,
  authority: string,
  headers: Record<string, string> = {},
): Promise<{ statusLine: string; socket: Socket }> {
  const { port } = new URL(proxyUrl);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extra}\r\n`);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return { statusLine: chunk.toString('latin1').split('\r\n')[0] ?? '', socket };
}

/** GET `url` through the proxy, absolute-form, as a browser does for http://. */
function getThrough(
  proxyUrl: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; blocked: string | undefined }> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(proxy.port),
        path: url,
        headers: { host: new URL(url).host, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            blocked: res.headers['x-distill-blocked'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('EgressProxy', () => {
  let site: TestSite;
  let forbidden: Awaited<ReturnType<typeof startCountingServer>>;
  let proxy: EgressProxy | undefined;

  beforeAll(async () => {
    site = await startSite();
    forbidden = await startCountingServer();
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(async () => {
    await site.close();
    await forbidden.close();
  });

  it('forwards plain HTTP to an allowed address', async () => {
    proxy = new EgressProxy({ allow: parseAllowList(`127.0.0.1:${site.port}`) });
    await proxy.start();
    const response = await getThrough(proxy.url, `${site.origin}/plain`);
    expect(response.status).toBe(200);
    expect(response.body).toContain('<h1>Plain</h1>');
    expect(proxy.stats.requests).toBe(1);
  });

  it('refuses plain HTTP and CONNECT to a loopback port the allow list does not name, without connecting', async () => {
    proxy = new EgressProxy({ allow: parseAllowList(`127.0.0.1:${site.port}`) });
    await proxy.start();
    const response = await getThrough(proxy.url, `${forbidden.origin}/secret`);
    expect(response.status).toBe(403);
    expect(response.blocked).toMatch(/loopback/);
    const { statusLine, socket } = await connectThrough(proxy.url, `127.0.0.1:${forbidden.port}`);
    socket.destroy();
    expect(statusLine).toBe('HTTP/1.1 403 Forbidden');
    expect(forbidden.connections()).toBe(0);
    expect(proxy.stats.blocked).toBe(2);
  });

  it('connects to the address it checked, so a name that resolves to a private address is refused', async () => {
    const lookup: LookupFunction = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    proxy = new EgressProxy({ lookup });
    await proxy.start();
    const { statusLine, socket } = await connectThrough(proxy.url, `rebind.example:${forbidden.port}`);
    socket.destroy();
    expect(statusLine).toBe('HTTP/1.1 403 Forbidden');
    expect(forbidden.connections()).toBe(0);
  });

  it('tunnels CONNECT to an allowed address', async () => {
    proxy = new EgressProxy({ allow: parseAllowList(`127.0.0.1:${site.port}`) });
    await proxy.start();
    const { statusLine, socket } = await connectThrough(proxy.url, `127.0.0.1:${site.port}`);
    expect(statusLine).toBe('HTTP/1.1 200 Connection Established');
    socket.write(`GET /plain HTTP/1.1\r\nHost: 127.0.0.1:${site.port}\r\nConnection: close\r\n\r\n`);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    await once(socket, 'close');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(proxy.stats.tunnels).toBe(1);
  });

  it('refuses requests to itself even when loopback is allowed', async () => {
    proxy = new EgressProxy({ allow: parseAllowList('127.0.0.0/8') });
    await proxy.start();
    const response = await getThrough(proxy.url, `${proxy.url}/loop`);
    expect(response.status).toBe(403);
  });

  it('starts and stops idempotently', async () => {
    proxy = new EgressProxy();
    await Promise.all([proxy.start(), proxy.start()]);
    await Promise.all([proxy.stop(), proxy.stop()]);
    await expect(proxy.start()).rejects.toThrow(/stopped/);
  });

  it.skipIf(!hasTinyproxy)(
    "tunnels a route's requests through its upstream proxy to the checked address, after the guard",
    async () => {
      const tinyproxy = await startTinyproxy();
      try {
        proxy = new EgressProxy({
          allow: parseAllowList(`127.0.0.1:${site.port}`),
          proxies: [{ name: 'tp', url: tinyproxy.url }],
        });
        await proxy.start();
        await expect(proxy.openRoute('nope')).rejects.toThrow(/No proxy is named `nope`/);
        const route = await proxy.openRoute('tp');
        expect(proxy.stats.openRoutes).toBe(1);
        const response = await getThrough(route.url, `${site.origin}/plain`);
        expect(response.status).toBe(200);
        expect(response.body).toContain('<h1>Plain</h1>');
        const { statusLine, socket } = await connectThrough(route.url, `127.0.0.1:${site.port}`);
        socket.destroy();
        expect(statusLine).toBe('HTTP/1.1 200 Connection Established');
        expect(
          tinyproxy.requests().filter((line) => line.startsWith(`CONNECT 127.0.0.1:${site.port} `)),
        ).toHaveLength(2);
        expect(proxy.stats.proxied).toBe(2);
        // Refused here: the upstream proxy never hears of the forbidden port.
        expect((await getThrough(route.url, `${forbidden.origin}/secret`)).status).toBe(403);
        const refused = await connectThrough(route.url, `127.0.0.1:${forbidden.port}`);
        refused.socket.destroy();
        expect(refused.statusLine).toBe('HTTP/1.1 403 Forbidden');
        expect(tinyproxy.requests().some((line) => line.includes(`:${forbidden.port}`))).toBe(false);
        expect(forbidden.connections()).toBe(0);
        // The main listener still goes directly; a closed route's port answers nothing.
        const before = tinyproxy.requests().length;
        expect((await getThrough(proxy.url, `${site.origin}/plain`)).status).toBe(200);
        expect(tinyproxy.requests()).toHaveLength(before);
        await route.close();
        expect(proxy.stats.openRoutes).toBe(0);
        await expect(getThrough(route.url, `${site.origin}/plain`)).rejects.toThrow(/ECONNREFUSED/);
      } finally {
        await tinyproxy.stop();
      }
    },
  );
});
