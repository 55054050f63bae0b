export { openDatabase, type DatabaseHandle, type DialectName } from './database.js';
export { migrateToLatest } from './migrate.js';
export { KyselyJobRepository, InvalidCursorError, urlKey } from './kysely-job-repository.js';
export type { Database } from './schema.js';
