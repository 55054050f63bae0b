import type { StoreContext } from './store-context.js';

/** What the stored key check says of a key: first one stored, the same key, or another key. */
export type SecretKeyVerdict = 'recorded' | 'matches' | 'differs';

const SECRET_KEY_CHECK = 'secret_key_check';

/** Deployment-wide named values (migration 0009). */
export class KyselySettingsStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Compares `check` (SecretBox.keyCheck()) with the one stored; the first key to come is stored.
   * Two processes starting at once: the insert of the second fails on the primary key, and it
   * reads the first one's row instead.
   */
  async verifySecretKey(check: string): Promise<SecretKeyVerdict> {
    const stored = await this.#read(SECRET_KEY_CHECK);
    if (stored !== undefined) return stored === check ? 'matches' : 'differs';
    try {
      await this.#context.db
        .insertInto('settings')
        .values({ name: SECRET_KEY_CHECK, value: check, updated_at: this.#context.clock.now() })
        .execute();
      return 'recorded';
    } catch (error) {
      const raced = await this.#read(SECRET_KEY_CHECK);
      if (raced === undefined) throw error;
      return raced === check ? 'matches' : 'differs';
    }
  }

  async #read(name: string): Promise<string | undefined> {
    const row = await this.#context.db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.value;
  }
}
