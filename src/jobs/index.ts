export * from './types.js';
export * from './ports.js';
export * from './errors.js';
export * from './normalize-url.js';
export * from './jobs-service.js';
