// Types of corpus-server.mjs, for the TypeScript tests that use it.
import type { IncomingMessage } from 'node:http';

export interface CorpusResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
}

export interface CorpusServerOptions {
  hosts?: number;
  latencyMs?: number;
  jitterMs?: number;
  errorRate?: number;
  handler: (path: string, host: string, req: IncomingMessage) => CorpusResponse | Promise<CorpusResponse>;
}

export interface HostStats {
  inFlight: number;
  maxInFlight: number;
  requests: number;
}

export interface CorpusServer {
  origins: string[];
  stats: { requests: number; byPath: Map<string, number>; byHost: Map<string, HostStats> };
  urls(n: number, prefix?: string): string[];
  maxInFlightPerHost(): number;
  close(): Promise<void>;
}

export function startCorpusServer(options: CorpusServerOptions): Promise<CorpusServer>;
