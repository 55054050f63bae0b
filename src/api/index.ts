export { buildApi } from './build-api.js';
export { resolveApiOptions, type ApiDependencies, type ApiOptions, type ApiRepository, type ReadinessCheck, type StoredEvent } from './dependencies.js';
export { createMetrics, type Metrics, type MetricsOptions } from './metrics.js';
export { createReadiness, type ReadinessOptions } from './readiness.js';
export { API_ERROR_CODES, PROBLEM_STATUS, PROBLEM_CONTENT_TYPE, toProblem, type ApiErrorCode } from './error-handler.js';
export { ApiError, ApiValidationError, ItemFailedError } from './api-error.js';
export { FINAL_EVENT, PROGRESS_EVENT } from './routes/events.js';
export { webPagePlugin, defaultWebRoot, type WebPageOptions } from './static.js';
