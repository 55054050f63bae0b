export { EmbeddedQueue } from './embedded/embedded-queue.js';
export { BullmqQueue, deliveryId, type BullmqQueueOptions } from './bullmq/bullmq-queue.js';
