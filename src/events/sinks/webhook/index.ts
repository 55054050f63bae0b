export { WebhookSink } from './webhook-sink.js';
export { WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
export { checkWebhookUrl, InvalidWebhookUrlError, type CheckWebhookUrlOptions } from './webhook-url.js';
export { signWebhook, verifyWebhookSignature, WEBHOOK_HEADERS } from './signature.js';
