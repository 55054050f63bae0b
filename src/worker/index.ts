export { WorkerPool, type TaskContext, type TaskFunction, type WorkerPoolOptions } from './pool.js';
export {
  BodyHandOff,
  HAND_OFF_MIN_CHARGE_BYTES,
  type BodyHandOffOptions,
  type BodyHandOffStats,
} from './body-hand-off.js';
export { outcomeForError, type AbortReason } from './retry-policy.js';
export {
  createProcessItem,
  toNewDocument,
  type ConditionalDocuments,
  type Extractor,
  type HostWaitOutcome,
  type ProcessItemDependencies,
} from './process-item.js';
export {
  withLlmStage,
  contextOf,
  type DocumentLlm,
  type LlmStageOptions,
  type LlmUsage,
} from './llm-stage.js';
export {
  createUploadFile,
  type UploadFile,
  type UploadFileDependencies,
  type UploadedFile,
} from './upload-file.js';
