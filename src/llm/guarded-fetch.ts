import { Agent, fetch as undiciFetch } from 'undici';
import { createGuardedConnector, systemLookup, type AllowList, type LookupFunction } from '../fetch/index.js';

/**
 * A `fetch` for the model client whose every connection goes through the private-network guard
 * (the fetcher's, with its DISTILL_FETCH_ALLOW list): a model server on loopback or a private
 * network is reached only when allowed. Returns the fetch and the agent to close.
 */
export function createGuardedFetch(options: {
  allow: AllowList;
  connectTimeoutMs: number;
  lookup?: LookupFunction;
}): {
  fetch: typeof globalThis.fetch;
  close: () => Promise<void>;
} {
  const agent = new Agent({
    connect: createGuardedConnector({
      allow: options.allow,
      lookup: options.lookup ?? systemLookup,
      connectTimeoutMs: options.connectTimeoutMs,
    }),
  });
  const guarded = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: guarded, close: () => agent.close() };
}
