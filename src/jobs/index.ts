export * from './types.js';
export * from './ports.js';
export * from './errors.js';
export * from './normalize-url.js';
export * from './jobs-service.js';
export * from './change-summary.js';
export * from './schedules.js';
