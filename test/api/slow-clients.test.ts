import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/store.js';
import { createHarness, type Harness } from '../helpers/api-harness.js';

let harness: Harness | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await harness?.close();
  harness = undefined;
});

async function listen(
  api: NonNullable<Parameters<typeof createHarness>[0]>['api'],
): Promise<{ port: number }> {
  harness = await createHarness({ isPoolStarted: false, api });
  await harness.app.listen({ port: 0, host: '127.0.0.1' });
  const address = harness.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('The test server has no port');
  return { port: address.port };
}

/** A socket to the test server, tracked for `afterEach`; `closedAt` is set when it closes. */
function open(port: number): Promise<Socket & { closedAt?: number }> {
  return new Promise((resolve, reject) => {
    const socket: Socket & { closedAt?: number } = connect({ port, host: '127.0.0.1' });
    sockets.add(socket);
    socket.on('error', () => undefined);
    // Read (and drop) what the server sends, so that its close is seen.
    socket.resume();
    socket.on('close', () => {
      socket.closedAt = Date.now();
    });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function openConnections(): Promise<number> {
  return new Promise((resolve, reject) =>
    harness!.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

async function healthz(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

describe('slow clients', () => {
  it('closes 500 connections that send their headers or their body a byte at a time, within the configured timeouts, while /healthz answers', async () => {
    const limits = {
      headersTimeoutMs: 600,
      requestTimeoutMs: 1500,
      keepAliveTimeoutMs: 500,
      maxConnectionsPerIp: 1000,
    };
    const { port } = await listen(limits);
    const slowHeaders = await Promise.all(Array.from({ length: 250 }, () => open(port)));
    const slowBodies = await Promise.all(Array.from({ length: 250 }, () => open(port)));
    // Lifetimes count from here: opening 500 sockets takes a while on a loaded machine.
    const started = Date.now();
    for (const socket of slowHeaders) socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    for (const socket of slowBodies) {
      // One URL line that never ends: no job is made, the body just never finishes.
      socket.write(
        'POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\nhttps://example.com/',
      );
    }
    // A byte every 100 ms on each: never idle, never done.
    const trickle = setInterval(() => {
      for (const socket of [...slowHeaders, ...slowBodies]) if (!socket.destroyed) socket.write('a');
    }, 100);
    try {
      // While they hang on, the server serves others.
      expect(await healthz(port)).toBe(200);
      await waitFor(
        () => [...slowHeaders, ...slowBodies].every((s) => s.closedAt !== undefined),
        45_000,
        'every slow connection to be closed',
      );
    } finally {
      clearInterval(trickle);
    }
    // Generous bounds: the timeout plus Node's check interval plus a loaded machine's slack. Without
    // the limits they would live until the client stops (headers: Node's 60 s default and more).
    const latest = (group: Array<{ closedAt?: number }>) =>
      Math.max(...group.map((s) => s.closedAt! - started));
    expect(latest(slowHeaders)).toBeLessThan(limits.headersTimeoutMs + 20_000);
    expect(latest(slowBodies)).toBeLessThan(limits.requestTimeoutMs + 20_000);
    expect(await healthz(port)).toBe(200);
  }, 90_000);

  it("closes an idle keep-alive connection after keepAliveTimeoutMs (plus Node's one-second buffer)", async () => {
    const { port } = await listen({ keepAliveTimeoutMs: 300 });
    const socket = await open(port);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const sentAt = Date.now();
    await waitFor(() => socket.closedAt !== undefined, 10_000, 'the idle keep-alive connection to be closed');
    expect(socket.closedAt! - sentAt).toBeLessThan(5000);
  });

  it('refuses a connection past maxConnectionsPerIp from one address and takes one again once a socket closed', async () => {
    const { port } = await listen({ maxConnectionsPerIp: 5 });
    const held = await Promise.all(Array.from({ length: 5 }, () => open(port)));
    await waitFor(async () => (await openConnections()) === 5, 5000, 'the server to hold five connections');
    const refused = await open(port);
    let received = 0;
    refused.on('data', (chunk: Buffer) => (received += chunk.length));
    refused.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => refused.closedAt !== undefined, 5000, 'the sixth connection to be closed');
    expect(received).toBe(0);
    expect(held.every((s) => s.closedAt === undefined)).toBe(true);

    held[0]!.destroy();
    await waitFor(async () => (await openConnections()) === 4, 5000, 'the server to see one connection go');
    expect(await healthz(port)).toBe(200);
  });
});
