/**
 * The JSON side of schema-guided extraction: compiling a job's JSON Schema with ajv (bounded cache
 * of compiled validators), reading a model's answer as JSON, and the validation errors shown to
 * the model in a repair turn.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Largest schema a job may give, in bytes of its JSON. */
export const MAX_SCHEMA_BYTES = 32 * 1024;
/** Longest prompt a job may give, in characters. */
export const MAX_PROMPT_CHARS = 4000;
/** Compiled validators kept, by schema text; the oldest goes first. */
const MAX_COMPILED = 256;

const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: true });
const compiled = new Map<string, ValidateFunction>();

/** The schema is not a JSON Schema ajv can compile; `message` says why. */
export class InvalidJsonSchemaError extends Error {
  override readonly name = 'InvalidJsonSchemaError';
}

/** A validator of `schema`, compiled once per schema text (throws `InvalidJsonSchemaError`). */
export function validatorOf(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) {
    // Map order is insertion order: re-inserting keeps the most recently used last.
    compiled.delete(key);
    compiled.set(key, cached);
    return cached;
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new InvalidJsonSchemaError(error instanceof Error ? error.message : String(error));
  } finally {
    // ajv keeps schemas with an `$id` by that id; the cache here is the only one that should grow.
    const id = (schema as { $id?: unknown }).$id;
    if (typeof id === 'string') ajv.removeSchema(id);
  }
  compiled.set(key, validate);
  if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  return validate;
}

/** Checks a job's schema and prompt: size limits and compilation. Returns the problem, or null. */
export function checkExtractionInput(
  schema: unknown,
  prompt: unknown,
): { code: 'invalid_json_schema' | 'json_schema_too_large' | 'prompt_too_large'; message: string } | null {
  if (prompt !== undefined && (typeof prompt !== 'string' || prompt.length > MAX_PROMPT_CHARS)) {
    return {
      code: 'prompt_too_large',
      message: `The prompt must be a string of at most ${MAX_PROMPT_CHARS} characters`,
    };
  }
  if (schema === undefined) return null;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return { code: 'invalid_json_schema', message: 'The schema must be a JSON Schema object' };
  }
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > MAX_SCHEMA_BYTES)
    return {
      code: 'json_schema_too_large',
      message: `The schema is ${bytes} bytes of JSON; at most ${MAX_SCHEMA_BYTES} are taken`,
    };
  try {
    validatorOf(schema);
  } catch (error) {
    if (error instanceof InvalidJsonSchemaError)
      return {
        code: 'invalid_json_schema',
        message: `The schema is not a valid JSON Schema: ${error.message}`,
      };
    throw error;
  }
  return null;
}

/** A model's text as JSON: the whole answer, or the first fenced block or outermost object in it. */
export function parseJsonAnswer(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced) candidates.push(fenced[1]!.trim());
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  let message = 'the answer is empty';
  for (const candidate of candidates) {
    if (candidate === '') continue;
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch (error) {
      message = `the answer is not JSON (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  return { ok: false, message };
}

/** Validation errors as lines a model can act on (at most 20). */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 20)
    .map(
      (e) =>
        `- ${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : ''}`,
    )
    .join('\n');
}
