/** The composition root's helpers for cli/ (the `App` itself is in ../app.ts). */
export { openStorage, type StorageSession } from './open-storage.js';
