export {
  OpenAiCompatibleLlm,
  LlmAnswerError,
  type JsonMode,
  type LlmUsage,
  type OpenAiCompatibleLlmOptions,
} from './openai-compatible-llm.js';
export {
  checkExtractionInput,
  validatorOf,
  parseJsonAnswer,
  InvalidJsonSchemaError,
  MAX_PROMPT_CHARS,
  MAX_SCHEMA_BYTES,
} from './json-answers.js';
export { createGuardedFetch } from './guarded-fetch.js';
