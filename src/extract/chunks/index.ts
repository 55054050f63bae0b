export {
  chunkMarkdown,
  checkChunkSettings,
  CHUNK_LIMITS,
  type Chunk,
  type ChunkOptions,
} from './chunk-markdown.js';
export { countTokens } from './count-tokens.js';
