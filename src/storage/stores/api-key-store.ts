import type { ApiKeyInfo, ApiKeyStore } from '../../auth/index.js';
import { toApiKeyInfo } from '../row-mappers.js';
import type { StoreContext } from './store-context.js';

/** API keys (issue 8): only the SHA-256 of each secret is stored. */
export class KyselyApiKeyStore implements ApiKeyStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  async insertApiKey(key: ApiKeyInfo & { secretHash: string }): Promise<void> {
    await this.#context.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        tenant: key.tenant,
        name: key.name,
        prefix: key.prefix,
        secret_hash: key.secretHash,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
        last_used_at: key.lastUsedAt,
      })
      .execute();
  }

  /** Every key, newest first (a deployment has a handful, not thousands). */
  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const rows = await this.#context.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toApiKeyInfo);
  }

  async revokeApiKey(idOrPrefix: string, now: number): Promise<ApiKeyInfo | null> {
    const matches = await this.#context.db
      .selectFrom('api_keys')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)]))
      .execute();
    // A prefix shared by two keys (8 random characters: not in practice) revokes neither.
    if (matches.length !== 1) return null;
    const row = matches[0]!;
    if (row.revoked_at === null) {
      await this.#context.db
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where('id', '=', row.id)
        .execute();
    }
    return toApiKeyInfo({ ...row, revoked_at: row.revoked_at ?? now });
  }

  async findLiveApiKey(secretHash: string): Promise<ApiKeyInfo | null> {
    const row = await this.#context.db
      .selectFrom('api_keys')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row ? toApiKeyInfo(row) : null;
  }

  async countApiKeys(): Promise<number> {
    const row = await this.#context.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.#context.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }
}
