import type { LeaseStore } from '../../jobs/index.js';
import { isUniqueViolation } from '../transaction.js';
import type { StoreContext } from './store-context.js';

/** Name of the leases row the readiness write probe writes (`checkWritable`). */
const READINESS_LEASE = 'readiness';

/** Named leases (the `leases` table): one holder per name at a time. */
export class KyselyLeaseStore implements LeaseStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Takes or renews a named lease: one conditional UPDATE (the row is free, expired, or already
   * ours), and when no row exists yet, an INSERT whose unique-key violation means another process
   * created it first. Portable across the three engines; times come from this process's clock, so
   * the processes' clocks must agree to well within the lease (NTP), as for item leases.
   */
  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#context.clock.now();
    const { db } = this.#context;
    const updated = await db
      .updateTable('leases')
      .set({ holder, expires_at: now + ttlMs })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return true;
    const existing = await db.selectFrom('leases').select('name').where('name', '=', name).executeTakeFirst();
    if (existing) return false;
    try {
      await db
        .insertInto('leases')
        .values({ name, holder, expires_at: now + ttlMs })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#context.db
      .updateTable('leases')
      .set({ expires_at: 0 })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  /**
   * The readiness write probe (`/readyz`): writes the `readiness` row of the leases table, so that a
   * database that still answers reads but refuses writes (a read-only SQLite file, a full disk, a
   * PostgreSQL standby or `default_transaction_read_only`) fails it. One small shared row whatever
   * the number of processes: an UPDATE, or the INSERT that creates the row once, whose unique-key
   * violation means another process created it first (the engine accepted the write). The row is
   * never a held lease: it expires the moment it is written.
   */
  async checkWritable(holder: string): Promise<void> {
    const now = this.#context.clock.now();
    const { db } = this.#context;
    const updated = await db
      .updateTable('leases')
      .set({ holder, expires_at: now })
      .where('name', '=', READINESS_LEASE)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    try {
      await db.insertInto('leases').values({ name: READINESS_LEASE, holder, expires_at: now }).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
}
