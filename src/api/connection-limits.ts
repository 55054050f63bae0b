import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

/** How long the HTTP server lets a client take, and how many sockets one address may hold. */
export interface ConnectionLimits {
  /** Time from a connection (or the end of the previous request) to the end of the request headers, in ms. */
  headersTimeoutMs: number;
  /** Time from the start of a request to the end of its body, in ms; a streamed upload must end within it. */
  requestTimeoutMs: number;
  /** Time an idle keep-alive socket is kept open between two requests, in ms. */
  keepAliveTimeoutMs: number;
  /** A socket on which nothing is read or written for this long is closed, in ms; 0 = never. */
  idleTimeoutMs: number;
  /** Open sockets one remote address may hold; one more is closed at once. 0 = no cap. */
  maxConnectionsPerIp: number;
}

/** Distinct remote addresses the per-address count keeps; a new address past it is refused. */
export const MAX_TRACKED_ADDRESSES = 65_536;

/**
 * The Fastify and `http.Server` options that enforce `limits`. Node checks the headers and request
 * timeouts on a timer (`connectionsCheckingInterval`, 30 s by default, so a slow client could live
 * 30 s past its limit); the timer runs at a quarter of the shorter limit instead.
 */
export function serverTimeoutOptions(limits: Omit<ConnectionLimits, 'maxConnectionsPerIp'>): {
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionTimeout: number;
  http: ServerOptions;
} {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(shortest / 4))),
    },
  };
}

/**
 * Caps the sockets one remote address holds open on `server`: the one past `max` is destroyed as it
 * connects, before any byte of it is read, so a single client cannot take every file descriptor
 * the process has. The count map holds only addresses with an open socket (an entry goes when its
 * last socket closes) and at most `MAX_TRACKED_ADDRESSES` of them.
 */
export function limitConnectionsPerAddress(
  server: Server,
  max: number,
  onRefused: (address: string, open: number) => void = () => undefined,
): { openOf(address: string): number } {
  const open = new Map<string, number>();
  if (max > 0) {
    server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const count = open.get(address) ?? 0;
      if (count >= max || (count === 0 && open.size >= MAX_TRACKED_ADDRESSES)) {
        onRefused(address, count);
        socket.destroy();
        return;
      }
      open.set(address, count + 1);
      socket.once('close', () => {
        const left = (open.get(address) ?? 1) - 1;
        if (left <= 0) open.delete(address);
        else open.set(address, left);
      });
    });
  }
  return { openOf: (address) => open.get(address) ?? 0 };
}
