export type * from './types.js';
export { extractDocument, DEFAULT_FORMATS } from './extract.js';
export {
  ExtractorPool,
  type ExtractorPoolOptions,
  type ExtractorPoolStats,
  type ExtractorRunOptions,
} from './extractor-pool.js';
export {
  UnsupportedContentTypeError,
  ExtractionFailedError,
  ExtractionTimeoutError,
  ExtractorBusyError,
  DecompressionLimitError,
  EncryptedDocumentError,
  ImageTooLargeError,
  EXTRACT_ERROR_CODES,
} from './errors.js';
export { OcrLanguageUnavailableError, OcrUnavailableError } from './ocr/tesseract.js';
export { imageDimensions, type ImageDimensions } from './ocr/image-dimensions.js';
export { readZip, DEFAULT_MAX_INFLATED_BYTES, type ZipLimits, type ZipEntries } from './zip-limits.js';
export {
  decodeText,
  normaliseCharset,
  charsetFromContentType,
  type DecodedText,
  type CharsetSource,
  type DecodeOptions,
} from './decode.js';
export { sniffContentType, type ContentKind, type SniffResult } from './sniff.js';
export { htmlToText } from './html/html-to-text.js';
export {
  chunkMarkdown,
  checkChunkSettings,
  countTokens,
  CHUNK_LIMITS,
  type Chunk,
  type ChunkOptions,
} from './chunks/index.js';
