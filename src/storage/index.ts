export { openDatabase, type DatabaseHandle, type DialectName, type OpenDatabaseOptions } from './database.js';
export { migrateToLatest } from './migrate.js';
export { KyselyJobRepository, type KyselyStores } from './kysely-job-repository.js';
export { InvalidCursorError } from './pagination.js';
export { urlKey } from './stores/store-context.js';
export type { DeliveryDecision, QueuedItemRef, QueuedItemsCursor } from '../jobs/index.js';
export { isTransientConflict, isUniqueViolation } from './transaction.js';
export type { Database } from './schema.js';
