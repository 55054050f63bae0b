import type { ClaimedItem, ItemCounts, ItemOutcome, ItemRef, Queue, QueueStore } from '../../jobs/index.js';

/** What the embedded queue needs of storage (the items table's queue store). */
export type EmbeddedQueueStore = Pick<
  QueueStore,
  'claimBatch' | 'renewLeases' | 'reclaimExpired' | 'countItemsByState'
>;

/**
 * The embedded queue: the items table of the SQLite database is the queue. An item is runnable
 * when it is `queued` and its `run_after` has come; a claim leases it under a fresh token. There is
 * no second copy of the queue to keep in step, so enqueueing is the insert of the item itself.
 * The queries live in storage's queue store, behind the `QueueStore` port (no SQL outside storage/).
 */
export class EmbeddedQueue implements Queue {
  readonly #repository: EmbeddedQueueStore;

  constructor(repository: EmbeddedQueueStore) {
    this.#repository = repository;
  }

  enqueue(_items: readonly ItemRef[]): Promise<void> {
    return Promise.resolve();
  }

  claim(max: number, leaseMs: number): Promise<ClaimedItem[]> {
    return this.#repository.claimBatch(max, leaseMs);
  }

  async renewLease(item: ClaimedItem, leaseMs: number): Promise<boolean> {
    return (await this.renewLeases([item], leaseMs)).length === 0;
  }

  renewLeases(items: readonly ClaimedItem[], leaseMs: number): Promise<ClaimedItem[]> {
    return this.#repository.renewLeases(items, leaseMs);
  }

  /** Nothing to do: the outcome `finishAttempt` wrote to the item row is the queue's state too. */
  settle(_item: ClaimedItem, _outcome: ItemOutcome | null): Promise<void> {
    return Promise.resolve();
  }

  reclaimExpired(): Promise<number> {
    return this.#repository.reclaimExpired();
  }

  depth(): Promise<ItemCounts> {
    return this.#repository.countItemsByState();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
