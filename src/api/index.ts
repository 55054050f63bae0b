export { buildApi } from './build-api.js';
export { buildOpsServer } from './ops-server.js';
export { resolveApiOptions, type ApiOptions, type ResolvedApiOptions } from './options.js';
export type {
  ApiDependencies,
  ApiRepository,
  ApiServices,
  CrawlInputView,
  CrawlsApi,
  DocumentVersionsApi,
  EventsApi,
  ReadinessCheck,
  SchedulesApi,
  ScreenshotReader,
  StoredEvent,
  WebhookDeliveryRecord,
} from './services.js';
export {
  createMetrics,
  type HandOffReading,
  type Metrics,
  type MetricsOptions,
  type OutboxBacklog,
} from './metrics.js';
export {
  createReadiness,
  ReadinessError,
  type ReadinessOptions,
  type ReadinessProbe,
  type ReadinessProbeSpec,
} from './readiness.js';
export { describeStorageFailure, storageFailureOf, type StorageFailure } from './storage-errors.js';
export {
  API_ERROR_CODES,
  PROBLEM_STATUS,
  PROBLEM_CONTENT_TYPE,
  toProblem,
  type ApiErrorCode,
} from './error-handler.js';
export { ApiError, ApiValidationError, ItemFailedError } from './api-error.js';
export { FINAL_EVENT, PROGRESS_EVENT } from './routes/events.js';
export { webPagePlugin, defaultWebRoot, type WebPageOptions } from './static.js';
export { createMcpServer, mcpHttpRoutes, MCP_SERVER_INFO } from './mcp/index.js';
