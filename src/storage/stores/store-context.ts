import { hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DEFAULT_TENANT, type ItemRef } from '../../jobs/index.js';
import type { Clock } from '../../lib/index.js';
import type { Dialect } from '../dialect.js';
import type { Database } from '../schema.js';

/** Rows per INSERT and values per IN list: inside every engine's bound-parameter limit. */
export const CHUNK = 500;

/**
 * What every store works with. `db` is the pool, or the transaction of a store method that spans
 * several tables (`inTransaction`): a store built over a transaction's context writes in it.
 */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly clock: Clock;
  /** The key of `url`'s document as `tenant` sees it (see `createDocumentKey`). */
  readonly documentKey: (url: string, tenant?: string) => string;
}

/** Runs `fn` in one read-write transaction, with a context over it. */
export function inTransaction<T>(context: StoreContext, fn: (trx: StoreContext) => Promise<T>): Promise<T> {
  return context.dialect.transaction(context.db, (db) => fn({ ...context, db }));
}

/**
 * Hash of a normalised URL: 128 bits, base64url, so keys index well on every engine. One-shot
 * `crypto.hash` (Node 20.12+): the same digest as `createHash(...).update(...).digest(...)` for a
 * third of the CPU, which counts when a submission hashes 100,000 URLs.
 */
export function urlKey(url: string): string {
  return hash('sha256', url, 'base64url').slice(0, 22);
}

/**
 * The key of a URL's document as a tenant sees it. Documents, single flight and reuse are all
 * keyed by it: shared by every tenant by default (a document fetched for one tenant's job serves
 * another's as a cache), separate per tenant under `tenantIsolation`. The `default` tenant keeps
 * the plain key, so turning isolation on does not orphan the documents stored before.
 */
export function createDocumentKey(isTenantIsolated: boolean): (url: string, tenant?: string) => string {
  return (url, tenant = DEFAULT_TENANT) =>
    isTenantIsolated && tenant !== DEFAULT_TENANT ? urlKey(`${tenant}\n${url}`) : urlKey(url);
}

/** Groups item refs by job, seqs deduplicated. */
export function groupSeqs(refs: readonly ItemRef[]): Map<string, number[]> {
  const byJob = new Map<string, Set<number>>();
  for (const ref of refs) {
    const seqs = byJob.get(ref.jobId) ?? new Set<number>();
    seqs.add(ref.seq);
    byJob.set(ref.jobId, seqs);
  }
  return new Map([...byJob].map(([jobId, seqs]) => [jobId, [...seqs]]));
}

/** Splits `values` into slices of at most `CHUNK`. */
export function chunks<T>(values: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(values.slice(i, i + CHUNK));
  return out;
}
