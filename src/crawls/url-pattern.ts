/**
 * The include/exclude patterns of a crawl, compiled for RE2 (the `re2js` port) so that matching a
 * link takes time linear in the link, whatever the pattern: a user's pattern never reaches
 * JavaScript's backtracking `RegExp`, where `/(a+)+$/` or the glob `**a**a**a**b` took seconds per
 * link. RE2 has no backreferences and no lookaround; such patterns are refused when the crawl or
 * schedule is submitted, with a reason that says so.
 */
import { RE2JS } from 're2js';

/** Patterns per list, and characters per pattern: user patterns run on every link, so both are small. */
export const MAX_PATTERNS = 50;
export const MAX_PATTERN_LENGTH = 500;
/**
 * Largest compiled RE2 program (about one instruction per character or repeated atom) of one
 * pattern: it bounds the cost of one step of the match, as the link length bounds the steps.
 */
export const MAX_PATTERN_PROGRAM_SIZE = 2000;

/** A URL pattern of a crawl that does not compile, or uses what RE2 cannot match in linear time. */
export class InvalidPatternError extends TypeError {
  readonly pattern: string;
  /** Which list the pattern is in, when known. */
  readonly field: 'include' | 'exclude' | undefined;
  /** Why, without the pattern. */
  readonly reason: string;
  constructor(pattern: string, reason: string, field?: 'include' | 'exclude') {
    super(`The pattern ${JSON.stringify(pattern.slice(0, 100))} is invalid: ${reason}`);
    this.pattern = pattern;
    this.field = field;
    this.reason = reason;
  }
}

/** A compiled include/exclude pattern. */
export interface UrlPattern {
  matches(url: URL): boolean;
}

const FLAG_BITS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0, // RE2 always matches code points
};

/** The source and flags of a `/source/flags` pattern, or `undefined` for a glob. */
function splitRegex(pattern: string): { source: string; flags: string } | undefined {
  if (!pattern.startsWith('/') || pattern.startsWith('//')) return undefined;
  const close = pattern.lastIndexOf('/');
  if (close < 2) return undefined;
  const flags = pattern.slice(close + 1);
  for (const flag of flags) if (!(flag in FLAG_BITS)) return undefined;
  return { source: pattern.slice(1, close), flags };
}

/**
 * Why RE2 cannot take `source`, for the features users bring from JavaScript: backreferences and
 * lookaround. One pass; escapes are skipped so `\(?=` is a literal. `undefined` when none is used.
 */
function unsupportedFeature(source: string): string | undefined {
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      if ((next >= '1' && next <= '9') || (next === 'k' && source[i + 2] === '<')) {
        return `backreferences such as \`\\${next}\` are not supported (patterns use RE2 syntax, which matches in linear time)`;
      }
      i++;
    } else if (char === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!') || rest === '<=' || rest === '<!') {
        return 'lookahead and lookbehind (`(?=`, `(?!`, `(?<=`, `(?<!`) are not supported (patterns use RE2 syntax, which matches in linear time)';
      }
    }
  }
  return undefined;
}

function compileRe2(pattern: string, source: string, flags: number): RE2JS {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(source), flags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidPatternError(pattern, `not an RE2 regular expression: ${message}`);
  }
  const size = compiled.programSize();
  if (size > MAX_PATTERN_PROGRAM_SIZE) {
    throw new InvalidPatternError(
      pattern,
      `too complex: it compiles to ${size} RE2 instructions, at most ${MAX_PATTERN_PROGRAM_SIZE} are allowed (large counted repeats such as {1000} cost one each)`,
    );
  }
  return compiled;
}

const RE2_METACHARACTERS = new Set('\\.+*?()|[]{}^$'.split(''));

/**
 * The RE2 source of a glob, anchored at both ends: a run of two or more `*` is one `.*` (so
 * `**a**b` cannot multiply its ways of matching), `*` is `[^/]*`, `?` is `[^/]`, the rest literal.
 */
export function globToRe2(glob: string): string {
  let source = '^';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') {
      let end = i;
      while (glob[end + 1] === '*') end++;
      source += end > i ? '.*' : '[^/]*';
      i = end;
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += RE2_METACHARACTERS.has(char) ? `\\${char}` : char;
    }
  }
  return `${source}$`;
}

/**
 * Compiles one pattern: `/source/flags` (flags from `imsu`) is an RE2 regular expression tested
 * against the whole URL; anything else is a glob, where `**` matches anything, `*` anything but
 * `/`, and `?` one character but `/`. A glob that starts with `/` is matched against the path and
 * query (`/blog/**`), any other against the whole URL (`https://example.com/docs/*`). A pattern
 * both starting and ending with `/` (flags aside) is a regex: write a folder glob as `/blog/*` or
 * `/blog/**`. Throws `InvalidPatternError`.
 */
export function compilePattern(pattern: string): UrlPattern {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new InvalidPatternError(pattern, `expected 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  const regex = splitRegex(pattern);
  if (regex) {
    const unsupported = unsupportedFeature(regex.source);
    if (unsupported !== undefined) throw new InvalidPatternError(pattern, unsupported);
    let flags = 0;
    for (const flag of regex.flags) flags |= FLAG_BITS[flag] ?? 0;
    const compiled = compileRe2(pattern, regex.source, flags);
    return { matches: (url) => compiled.test(url.href) };
  }
  const compiled = compileRe2(pattern, globToRe2(pattern), 0);
  const isPathGlob = pattern.startsWith('/');
  return { matches: (url) => compiled.test(isPathGlob ? `${url.pathname}${url.search}` : url.href) };
}

/** Throws `InvalidPatternError` for the first pattern of `patterns` (the list `field`) that does not compile. */
export function checkPatterns(patterns: readonly string[], field?: 'include' | 'exclude'): void {
  if (patterns.length > MAX_PATTERNS)
    throw new InvalidPatternError(
      patterns[MAX_PATTERNS]!,
      `at most ${MAX_PATTERNS} patterns are allowed`,
      field,
    );
  for (const pattern of patterns) {
    try {
      compilePattern(pattern);
    } catch (error) {
      if (error instanceof InvalidPatternError) throw new InvalidPatternError(pattern, error.reason, field);
      throw error;
    }
  }
}
