export { EmbeddedQueue } from './embedded/embedded-queue.js';
