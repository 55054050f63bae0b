export * from './errors.js';
export * from './sleep.js';
export * from './deferred.js';
export * from './clock.js';
export * from './backoff.js';
export * from './logger.js';
export * from './token-bucket.js';
export * from './validate.js';
