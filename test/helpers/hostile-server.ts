/**
 * A deliberately hostile HTTP server for the fetcher's tests, listening on 127.0.0.1 only. Every
 * misbehaviour is a path; bodies are produced lazily with backpressure, so a response the client
 * stops reading costs the server almost nothing.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export interface HostileServerOptions {
  /** Body of /robots.txt, or a status code to answer it with. */
  robots: string | number;
  /** A gzip stream (several members) that inflates to gigabytes. */
  gzipBomb: Buffer;
  gzipBombRepeats: number;
  /** A brotli stream that inflates to gigabytes. */
  brotliBomb: Buffer;
  /** Where /redirect-blocked points. */
  blockedTarget?: string;
}

export interface HostileServer {
  readonly port: number;
  readonly origin: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Body bytes written per path (for "stopped early" assertions). */
  readonly bytesWritten: Map<string, number>;
  /** Request headers seen per path, last one wins. */
  readonly requestHeaders: Map<string, http.IncomingHttpHeaders>;
  /** Paths requested, in order. */
  readonly requests: string[];
  setBlockedTarget(url: string): void;
  close(): Promise<void>;
}

const FIFTY_MB = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Writes `total` bytes produced by `chunkAt` with backpressure; stops when the client goes away. */
function streamBytes(
  res: http.ServerResponse,
  path: string,
  written: Map<string, number>,
  total: number,
  chunkAt: (index: number) => Buffer,
): void {
  let sent = 0;
  let index = 0;
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      const chunk = chunkAt(index++);
      const piece = chunk.length > total - sent ? chunk.subarray(0, total - sent) : chunk;
      sent += piece.length;
      written.set(path, sent);
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('error', () => res.destroy());
  pump();
}

export async function startHostileServer(options: HostileServerOptions): Promise<HostileServer> {
  let connections = 0;
  let blockedTarget = options.blockedTarget ?? 'http://127.0.0.1:1/';
  const bytesWritten = new Map<string, number>();
  const requestHeaders = new Map<string, http.IncomingHttpHeaders>();
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    requestHeaders.set(path, req.headers);
    switch (path) {
      case '/robots.txt':
        if (typeof options.robots === 'number') {
          res.writeHead(options.robots, { 'content-type': 'text/plain' }).end('no robots here');
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(options.robots);
        }
        return;
      case '/ok':
      case '/forbidden':
      case '/allowed':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<h1>hello from ${path}</h1>`);
        return;
      case '/echo':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
        return;
      case '/no-headers':
        // Never answer; the socket stays open until the client gives up.
        return;
      case '/endless-body':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<html><body>still going');
        return;
      case '/huge':
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(FIFTY_MB) });
        streamBytes(res, path, bytesWritten, FIFTY_MB, () => CHUNK);
        return;
      case '/huge-chunked':
        res.writeHead(200, { 'content-type': 'text/html' });
        streamBytes(res, path, bytesWritten, FIFTY_MB, () => CHUNK);
        return;
      case '/gzip-bomb':
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        streamBytes(
          res,
          path,
          bytesWritten,
          options.gzipBomb.length * options.gzipBombRepeats,
          () => options.gzipBomb,
        );
        return;
      case '/brotli-bomb':
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' });
        streamBytes(res, path, bytesWritten, options.brotliBomb.length, () => options.brotliBomb);
        return;
      case '/gzip':
        res
          .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
          .end(zlib.gzipSync('gzip ok'));
        return;
      case '/deflate':
        res
          .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'deflate' })
          .end(zlib.deflateSync('deflate ok'));
        return;
      case '/deflate-raw':
        res
          .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'deflate' })
          .end(zlib.deflateRawSync('raw ok'));
        return;
      case '/br':
        res
          .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br' })
          .end(zlib.brotliCompressSync('br ok'));
        return;
      case '/corrupt-gzip':
        res
          .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
          .end(Buffer.from('this is not gzip at all'));
        return;
      case '/zstd':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'zstd' }).end('??');
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/redirect-chain-1':
        res.writeHead(301, { location: 'redirect-chain-2' }).end('moved');
        return;
      case '/redirect-chain-2':
        res.writeHead(308, { location: '/ok?from=chain' }).end();
        return;
      case '/redirect-blocked':
        res.writeHead(302, { location: blockedTarget }).end();
        return;
      case '/redirect-forbidden':
        res.writeHead(302, { location: '/forbidden' }).end();
        return;
      case '/redirect-ftp':
        res.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end();
        return;
      case '/429':
        res.writeHead(429, { 'retry-after': '7', 'content-type': 'text/plain' }).end('slow down');
        return;
      case '/503':
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      case '/404':
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      case '/cut':
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': '100000' });
        res.write('x'.repeat(1000), () => res.socket?.destroy());
        return;
      case '/cut-chunked':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('x'.repeat(1000), () => res.socket?.destroy());
        return;
      case '/binary': {
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        res.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
        return;
      }
      case '/conditional':
        if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
        else res.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain' }).end('fresh');
        return;
      default:
        res.writeHead(404).end();
    }
  });
  server.on('connection', (socket: net.Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    bytesWritten,
    requestHeaders,
    requests,
    setBlockedTarget(url: string) {
      blockedTarget = url;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A plain TCP listener on 127.0.0.1 that only counts connections (the guard must leave it at 0). */
export async function startConnectionCounter(): Promise<{
  port: number;
  readonly connections: number;
  close(): Promise<void>;
}> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    async close() {
      server.close();
      await once(server, 'close');
    },
  };
}

/** One gzip member of `size` zero bytes; members concatenate into a valid gzip stream. */
export function gzipMemberOfZeros(size: number): Buffer {
  return zlib.gzipSync(Buffer.alloc(size), { level: 9 });
}

/** A brotli stream of `size` zero bytes, compressed in 64 MiB steps to keep memory low. */
export async function brotliOfZeros(size: number): Promise<Buffer> {
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  const compressor = zlib.createBrotliCompress({
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 },
  });
  const chunks: Buffer[] = [];
  compressor.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(compressor, 'end');
  for (let written = 0; written < size; written += zeros.length) {
    if (!compressor.write(zeros)) await once(compressor, 'drain');
  }
  compressor.end();
  await ended;
  return Buffer.concat(chunks);
}
