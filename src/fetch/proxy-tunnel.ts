/**
 * Tunnels through an HTTP(S) proxy for the guarded connector (issue 20). The guard has already
 * resolved the destination and checked every address; the proxy is then asked to CONNECT to the
 * checked ADDRESS, never to the name, so the proxy's own resolver cannot send us anywhere the guard
 * did not see (a name that rebinds to 10.x at the proxy is still the public address we checked).
 * TLS to the destination runs inside the tunnel with the name as SNI and for verification.
 *
 * The proxy itself is the only address connected to without the guard's check: it is reachable
 * because the configuration names it, and a job can only choose a pool by name, never a proxy URL.
 * undici's `Client.connect` speaks CONNECT (as its ProxyAgent does); ProxyAgent itself is not used
 * because it hands the destination NAME to the proxy.
 *
 * SOCKS5 proxies (`socks5://`, `socks5h://`, with or without username and password, RFC 1928/1929)
 * go through the `socks` package: the same checked ADDRESS is the CONNECT command's destination.
 * `socks5h` ("the proxy resolves the name") is accepted for configurations written for other
 * clients, but resolves here too: letting the proxy resolve would take the decision from the guard.
 */
import type { Duplex } from 'node:stream';
import { SocksClient, type SocksProxy } from 'socks';
import { Client } from 'undici';
import { ProxyError } from './errors.js';

/** One configured proxy. */
export interface ProxySpec {
  /** Shown on documents and in logs; never the URL (it may hold credentials). */
  name: string;
  /** `http://[user:password@]host:port`, `https://…` (TLS to the proxy), `socks5://…` or `socks5h://…`. */
  url: string;
}

const SOCKS_PROTOCOLS = new Set(['socks5:', 'socks5h:']);

/** A proxy the connector tunnels through: one undici client to it, for its CONNECTs. */
export class ProxyEndpoint {
  readonly name: string;
  /** The CONNECT client of an HTTP(S) proxy; undefined for SOCKS5. */
  readonly #client: Client | undefined;
  readonly #authorization: string | undefined;
  readonly #socks: SocksProxy | undefined;
  readonly #connectTimeoutMs: number;
  #closing: Promise<void> | undefined;

  constructor(spec: ProxySpec, options: { connectTimeoutMs: number }) {
    const url = parseProxyUrl(spec);
    this.name = spec.name;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    if (SOCKS_PROTOCOLS.has(url.protocol)) {
      this.#socks = {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(url.port) || 1080,
        type: 5,
        ...(url.username === '' ? {} : { userId: user, password }),
      };
      return;
    }
    this.#authorization =
      url.username === '' ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    this.#client = new Client(url.origin, { connect: { timeout: options.connectTimeoutMs } });
  }

  /**
   * Opens a tunnel to `address:port` (an address the guard checked). `hostHeader` is the CONNECT
   * request's Host (the address, as RFC 9110 asks for the authority of the target).
   */
  async tunnel(address: string, port: number, signal?: AbortSignal): Promise<Duplex> {
    if (this.#socks !== undefined) return this.#socksTunnel(this.#socks, address, port);
    if (this.#client === undefined) throw new Error('unreachable: an HTTP proxy has a client');
    const authority = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    let answer;
    try {
      answer = await this.#client.connect({
        path: authority,
        headers: {
          host: authority,
          ...(this.#authorization === undefined ? {} : { 'proxy-authorization': this.#authorization }),
        },
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      throw new ProxyError(this.name, 'could not be reached', { cause: error });
    }
    if (answer.statusCode !== 200) {
      answer.socket.on('error', () => {
        // Destroyed on purpose below.
      });
      answer.socket.destroy();
      const why =
        answer.statusCode === 407 || answer.statusCode === 401
          ? `refused our credentials (${answer.statusCode})`
          : `answered CONNECT with ${answer.statusCode}`;
      throw new ProxyError(this.name, why, { status: answer.statusCode });
    }
    return answer.socket;
  }

  /** SOCKS5 CONNECT to the checked address (never the name), authenticating when the URL has credentials. */
  async #socksTunnel(proxy: SocksProxy, address: string, port: number): Promise<Duplex> {
    try {
      const { socket } = await SocksClient.createConnection({
        proxy,
        command: 'connect',
        destination: { host: address, port },
        timeout: this.#connectTimeoutMs,
      });
      return socket;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const why = /authentication/i.test(message)
        ? 'refused our credentials (SOCKS5 authentication failed)'
        : /rejected|no accepted authentication/i.test(message)
          ? `refused the SOCKS5 CONNECT (${message.replace(/[^\w .:()-]/g, '').slice(0, 120)})`
          : 'could not be reached';
      throw new ProxyError(this.name, why, { cause: error });
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#client?.close() ?? Promise.resolve();
    return this.#closing;
  }
}

/** Checks a proxy's URL: http(s) or socks5(h), a host and a port; throws `TypeError` naming the proxy, not its URL. */
export function parseProxyUrl(spec: ProxySpec): URL {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new TypeError(`Proxy \`${spec.name}\`: its url is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && !SOCKS_PROTOCOLS.has(url.protocol)) {
    throw new TypeError(
      `Proxy \`${spec.name}\`: expected an http://, https://, socks5:// or socks5h:// proxy URL, got ${url.protocol}//`,
    );
  }
  if (url.hostname === '') throw new TypeError(`Proxy \`${spec.name}\`: its url has no host`);
  if (url.pathname !== '/' && url.pathname !== '')
    throw new TypeError(`Proxy \`${spec.name}\`: a proxy URL has no path`);
  return url;
}
