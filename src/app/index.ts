export { App, createApp, type AppOptions } from './app.js';
export { createLogger, type CreateLoggerOptions } from './logger.js';
export { Lifecycle, readinessOf, type Component, type ReadinessChecks } from './lifecycle.js';
export { migrate } from './build-storage.js';
export { openStorage, type StorageSession } from './open-storage.js';
export { partsOf, processRoleOf, ROLE_PARTS, type AppRole, type Part, type ProcessRole } from './roles.js';
