export { Retention, type RetentionOptions, type RetentionStore } from './retention.js';
