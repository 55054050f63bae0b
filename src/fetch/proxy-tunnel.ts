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
 */
import type { Duplex } from 'node:stream';
import { Client } from 'undici';
import { ProxyError } from './errors.js';

/** One configured proxy. */
export interface ProxySpec {
  /** Shown on documents and in logs; never the URL (it may hold credentials). */
  name: string;
  /** `http://[user:password@]host:port` or `https://…` (TLS to the proxy). */
  url: string;
}

/** A proxy the connector tunnels through: one undici client to it, for its CONNECTs. */
export class ProxyEndpoint {
  readonly name: string;
  readonly #client: Client;
  readonly #authorization: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(spec: ProxySpec, options: { connectTimeoutMs: number }) {
    const url = parseProxyUrl(spec);
    this.name = spec.name;
    this.#authorization =
      url.username === '' ? undefined : `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    this.#client = new Client(url.origin, { connect: { timeout: options.connectTimeoutMs } });
  }

  /**
   * Opens a tunnel to `address:port` (an address the guard checked). `hostHeader` is the CONNECT
   * request's Host (the address, as RFC 9110 asks for the authority of the target).
   */
  async tunnel(address: string, port: number, signal?: AbortSignal): Promise<Duplex> {
    const authority = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    let answer;
    try {
      answer = await this.#client.connect({
        path: authority,
        headers: { host: authority, ...(this.#authorization === undefined ? {} : { 'proxy-authorization': this.#authorization }) },
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
      const why = answer.statusCode === 407 || answer.statusCode === 401 ? `refused our credentials (${answer.statusCode})` : `answered CONNECT with ${answer.statusCode}`;
      throw new ProxyError(this.name, why, { status: answer.statusCode });
    }
    return answer.socket;
  }

  close(): Promise<void> {
    this.#closing ??= this.#client.close();
    return this.#closing;
  }
}

/** Checks a proxy's URL: http(s), a host and a port; throws `TypeError` naming the proxy, not its URL. */
export function parseProxyUrl(spec: ProxySpec): URL {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new TypeError(`Proxy \`${spec.name}\`: its url is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Proxy \`${spec.name}\`: expected an http:// or https:// proxy URL, got ${url.protocol}//`);
  }
  if (url.pathname !== '/' && url.pathname !== '') throw new TypeError(`Proxy \`${spec.name}\`: a proxy URL has no path`);
  return url;
}
