import type { ApiKeyStore } from '../auth/index.js';
import { DEFAULT_TENANT } from '../jobs/index.js';
import { KyselyJobRepository, migrateToLatest, openDatabase } from '../storage/index.js';

/**
 * A database that a command works on directly, not through the API (`distill migrate`,
 * `distill keys`): the composition root opens it, so that cli/ never imports the storage adapters.
 * The caller owns it and closes it.
 */
export interface StorageSession extends AsyncDisposable {
  /** Where the database lives, with any password removed, for messages. */
  readonly description: string;
  /** The API keys (issue 8). */
  readonly apiKeys: ApiKeyStore;
  /** Whether the tenant has at least one job (`distill keys create` warns before hiding them). */
  hasJobs(tenant?: string): Promise<boolean>;
  /** Applies the migrations not applied yet; resolves with their names. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens the database at `databaseUrl` for a command (see `StorageSession`). */
export function openStorage(databaseUrl: string): StorageSession {
  const handle = openDatabase(databaseUrl);
  const repository = new KyselyJobRepository({ db: handle.db, dialect: handle.dialect });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= handle.close());
  return {
    description: handle.description,
    apiKeys: repository,
    hasJobs: async (tenant = DEFAULT_TENANT) =>
      (await repository.listJobs({ limit: 1, tenant })).items.length > 0,
    migrate: () => migrateToLatest(handle.db as never),
    close,
    [Symbol.asyncDispose]: close,
  };
}
