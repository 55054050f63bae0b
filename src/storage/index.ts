export { openDatabase, type DatabaseHandle, type DialectName, type OpenDatabaseOptions } from './database.js';
export { migrateToLatest } from './migrate.js';
export { KyselyJobRepository, InvalidCursorError, urlKey, type DeliveryDecision, type QueuedItemRef, type QueuedItemsCursor } from './kysely-job-repository.js';
export { isTransientConflict, isUniqueViolation } from './transaction.js';
export type { Database } from './schema.js';
