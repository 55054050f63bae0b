/**
 * Firecrawl's request fields and what distill does with each: the one table of the compatibility
 * (docs/firecrawl.md lists the same). A field is `supported` (same meaning), `mapped` (translated
 * to distill's nearest option, the note says how), or `refused` (a clear 400, never a silent
 * ignore). Formats are in `FIRECRAWL_FORMATS`; `json` and `summary` run on distill's own formats
 * of the same names (an OpenAI-compatible model, issue 18).
 */
import { ApiError } from '../../api-error.js';

/** Thrown for a field Firecrawl has and distill does not do (400 `unsupported_option`). */
export function refuse(field: string, reason: string): ApiError {
  return new ApiError('unsupported_option', `\`${field}\` is not supported by distill: ${reason}`, {
    extensions: { field },
  });
}

/** Thrown for a malformed or unknown field (400 `validation_failed`, naming it). */
export function invalid(field: string, message: string): ApiError {
  return new ApiError('validation_failed', `\`${field}\` ${message}`, {
    extensions: { errors: [{ field, message }] },
  });
}

/** The reason given for Firecrawl's other formats that need a language model. */
export const LLM_FORMAT_REASON =
  'of the formats that need a language model, distill has json and summary only';

/** How distill produces a Firecrawl format. */
export type FormatSupport =
  | {
      kind: 'supported' | 'mapped';
      output: 'markdown' | 'html' | 'links' | 'screenshot' | 'json' | 'summary';
      note?: string;
    }
  | { kind: 'refused'; reason: string };

/** Every format of Firecrawl's v1 and v2 APIs. */
export const FIRECRAWL_FORMATS: Readonly<Record<string, FormatSupport>> = {
  markdown: { kind: 'supported', output: 'markdown' },
  html: {
    kind: 'mapped',
    output: 'html',
    note: "distill's cleaned HTML of the main content (what its Markdown is made from)",
  },
  links: { kind: 'supported', output: 'links' },
  screenshot: {
    kind: 'mapped',
    output: 'screenshot',
    note: 'the page rendered in Chromium; a URL of GET /v1/documents/{id}/screenshot (needs the API key)',
  },
  'screenshot@fullPage': {
    kind: 'mapped',
    output: 'screenshot',
    note: 'v1 spelling of a full-page screenshot',
  },
  rawHtml: {
    kind: 'refused',
    reason: 'distill does not keep the raw HTML of a page, only what it extracts from it',
  },
  json: {
    kind: 'mapped',
    output: 'json',
    note: 'distill\'s json format: the schema and prompt of `{type: "json"}` (v2) or `jsonOptions` (v1)',
  },
  extract: {
    kind: 'refused',
    reason: 'the v1 `extract` format is the older name of `json`: ask for `json` with `jsonOptions`',
  },
  summary: { kind: 'mapped', output: 'summary', note: "distill's summary format" },
  changeTracking: {
    kind: 'refused',
    reason: "distill's change detection has its own shape: read GET /v1/documents/{id}/versions instead",
  },
  images: { kind: 'refused', reason: 'a list of images is not one of distill’s outputs' },
  attributes: { kind: 'refused', reason: 'distill does not select attributes by CSS selector' },
  branding: { kind: 'refused', reason: 'not one of distill’s outputs' },
  product: {
    kind: 'refused',
    reason: 'not one of distill’s outputs (product data is in metadata.structured of the native API)',
  },
  menu: { kind: 'refused', reason: 'not one of distill’s outputs' },
  audio: { kind: 'refused', reason: 'distill does not transcribe media' },
  video: { kind: 'refused', reason: 'distill does not transcribe media' },
  question: { kind: 'refused', reason: LLM_FORMAT_REASON },
  highlights: { kind: 'refused', reason: LLM_FORMAT_REASON },
  query: { kind: 'refused', reason: LLM_FORMAT_REASON },
};

/** What `formats` asked for: distill's outputs, and the screenshot mode when one was asked for. */
export interface RequestedFormats {
  outputs: Set<'markdown' | 'html' | 'links' | 'json' | 'summary'>;
  screenshot: 'none' | 'viewport' | 'fullPage';
  /** The v2 `{type: "json", schema, prompt}` members (v1 has them in `jsonOptions`). */
  json?: { schema?: unknown; prompt?: unknown; field: string };
}

/** Members of a v2 `{type: "json"}` format: each one's handling. */
function readJsonMember(
  object: Record<string, unknown>,
  key: string,
  at: string,
  into: RequestedFormats,
): void {
  into.json ??= { field: at };
  if (key === 'schema') into.json.schema = object.schema;
  else if (key === 'prompt') into.json.prompt = object.prompt;
  else if (key === 'checkPromptInjection') {
    if (!isUnset(object[key])) throw refuse(`${at}.${key}`, 'distill does not screen prompts for injection');
  } else throw invalid(`${at}.${key}`, 'is not a known member of this format');
}

/** Reads Firecrawl's `formats` (strings, or v2 objects with `type`); refused formats throw. */
export function readFormats(value: unknown, field: string): RequestedFormats {
  const result: RequestedFormats = { outputs: new Set(), screenshot: 'none' };
  if (value === undefined) {
    result.outputs.add('markdown');
    return result;
  }
  if (!Array.isArray(value) || value.length > 20)
    throw invalid(field, 'must be an array of at most 20 formats');
  for (const [index, entry] of value.entries()) {
    const at = `${field}[${index}]`;
    let name: unknown = entry;
    let fullPage = false;
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      const object = entry as Record<string, unknown>;
      name = object.type;
      if (name === 'json') result.json = { field: at };
      for (const key of Object.keys(object)) {
        if (key === 'type') continue;
        if (name === 'screenshot' && key === 'fullPage') {
          if (typeof object.fullPage !== 'boolean') throw invalid(`${at}.fullPage`, 'must be a boolean');
          fullPage = object.fullPage;
          continue;
        }
        if (name === 'screenshot' && (key === 'quality' || key === 'viewport'))
          throw refuse(`${at}.${key}`, 'screenshots are PNGs of the default viewport');
        if (name === 'json') {
          readJsonMember(object, key, at, result);
          continue;
        }
        if (typeof name === 'string' && FIRECRAWL_FORMATS[name]?.kind === 'refused') continue; // refused below, by its name
        throw invalid(`${at}.${key}`, 'is not a known member of this format');
      }
    }
    if (typeof name !== 'string') throw invalid(at, 'must be a format name or an object with `type`');
    const support = FIRECRAWL_FORMATS[name];
    if (!support) throw invalid(at, `is not a Firecrawl format: ${JSON.stringify(name.slice(0, 50))}`);
    if (support.kind === 'refused') throw refuse(`${at}`, `the \`${name}\` format: ${support.reason}`);
    if (support.output === 'screenshot')
      result.screenshot = fullPage || name === 'screenshot@fullPage' ? 'fullPage' : 'viewport';
    else result.outputs.add(support.output);
  }
  return result;
}

/** The members of a request body: a plain object, else a 400. */
export function objectOf(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(field, 'must be an object');
  return value as Record<string, unknown>;
}

export function readString(value: unknown, field: string, maxLength = 8192): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalid(field, `must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

export function readBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(field, 'must be a boolean');
  return value;
}

export function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function readStrings(value: unknown, field: string, maxItems: number): string[] {
  if (!Array.isArray(value) || value.length > maxItems)
    throw invalid(field, `must be an array of at most ${maxItems} strings`);
  return value.map((entry, index) => readString(entry, `${field}[${index}]`, 2048));
}

/** Is a field left at a value that asks for nothing (absent, false, empty)? */
export function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
