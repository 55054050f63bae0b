/**
 * Token counts of the chunker and of the LLM input budget.
 *
 * gpt-tokenizer (pinned at 4.0.0) rather than js-tiktoken: it is pure JavaScript with no WASM and
 * no rank files to fetch at run time, counts without building token arrays (`countTokens`), and is
 * the faster of the two on long texts, which matters because every chunk of every document is
 * counted on the worker. o200k_base is the encoding of the current OpenAI models; for other models
 * behind an OpenAI-compatible endpoint the count is an estimate, which is all a budget needs.
 */
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

/** Text that spells a special token (`<|endoftext|>`) is counted as the plain text it is. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` in the o200k_base encoding. */
export function countTokens(text: string): number {
  if (text === '') return 0;
  return countO200k(text, PLAIN_TEXT);
}
