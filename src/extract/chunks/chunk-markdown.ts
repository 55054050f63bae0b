/**
 * Structure-aware chunks of a document's Markdown for retrieval (issue 18): sections end at every
 * heading; within a section, blocks are packed up to the token budget; a block too big for one
 * chunk is split at its lines (list items), then sentences, then words. A fenced code block or a
 * table is never cut inside: a big one is split between lines or rows, and each part is a whole
 * block again (the fence re-opened with its language, the table's header row repeated). Overlap
 * carries the previous chunk's last prose (whole sentences or lines) into the next chunk of the
 * same section. Pure and deterministic: the same Markdown and settings give the same chunks and ids.
 */
import { createHash } from 'node:crypto';
import { countTokens } from './count-tokens.js';
import { markdownBlocks, type MarkdownBlock } from './markdown-blocks.js';

/** Limits of the per-job settings (the API checks them; the chunker throws `TypeError` outside them). */
export const CHUNK_LIMITS = {
  minTokens: 32,
  maxTokens: 8192,
  defaultTokens: 512,
  defaultOverlap: 64,
} as const;

/** One chunk of a document. */
export interface Chunk {
  /** `<documentId>:<index>:<first 12 hex of the SHA-256 of text>`: stable while the Markdown is. */
  id: string;
  /** Position in the document, 0-based. */
  index: number;
  /** The chunk's Markdown. */
  text: string;
  /** Texts of the headings the chunk sits under, outermost first (empty before the first heading). */
  headings: string[];
  /** Tokens of `text` (o200k_base). */
  tokens: number;
}

export interface ChunkOptions {
  documentId: string;
  /** Token budget of one chunk. @default 512 */
  maxTokens?: number;
  /** Tokens of the previous chunk's end repeated at the start of the next one, in the same section. @default 64 */
  overlapTokens?: number;
}

/** A piece the chunks are packed from; `glue` goes before it when it follows a piece of its own block. */
interface Unit {
  text: string;
  tokens: number;
  block: number;
  glue: string;
  isProse: boolean;
}

interface Section {
  headings: string[];
  units: Unit[];
}

const sentences = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/** Checks chunk settings, throwing `TypeError` with what is wrong. */
export function checkChunkSettings(maxTokens: number, overlapTokens: number): void {
  if (
    !Number.isSafeInteger(maxTokens) ||
    maxTokens < CHUNK_LIMITS.minTokens ||
    maxTokens > CHUNK_LIMITS.maxTokens
  ) {
    throw new TypeError(
      `Expected \`chunkTokens\` to be an integer from ${CHUNK_LIMITS.minTokens} to ${CHUNK_LIMITS.maxTokens}, got \`${maxTokens}\``,
    );
  }
  if (
    !Number.isSafeInteger(overlapTokens) ||
    overlapTokens < 0 ||
    overlapTokens > Math.floor(maxTokens / 2)
  ) {
    throw new TypeError(
      `Expected \`chunkOverlap\` to be an integer from 0 to half of chunkTokens (${Math.floor(maxTokens / 2)}), got \`${overlapTokens}\``,
    );
  }
}

/** The chunks of `markdown`. */
export function chunkMarkdown(markdown: string, options: ChunkOptions): Chunk[] {
  const maxTokens = options.maxTokens ?? CHUNK_LIMITS.defaultTokens;
  const overlapTokens = options.overlapTokens ?? CHUNK_LIMITS.defaultOverlap;
  checkChunkSettings(maxTokens, overlapTokens);
  const chunks: Chunk[] = [];
  for (const section of sectionsOf(markdownBlocks(markdown), maxTokens)) {
    for (const units of pack(section.units, maxTokens, overlapTokens)) {
      const text = join(units);
      const index = chunks.length;
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
      chunks.push({
        id: `${options.documentId}:${index}:${hash}`,
        index,
        text,
        headings: section.headings,
        tokens: countTokens(text),
      });
    }
  }
  return chunks;
}

function sectionsOf(blocks: MarkdownBlock[], maxTokens: number): Section[] {
  const sections: Section[] = [];
  const path: Array<{ level: number; text: string }> = [];
  let current: Section = { headings: [], units: [] };
  blocks.forEach((block, index) => {
    if (block.kind === 'heading') {
      if (current.units.length > 0) sections.push(current);
      while (path.length > 0 && path[path.length - 1]!.level >= block.level) path.pop();
      path.push({ level: block.level, text: block.text });
      current = { headings: path.map((h) => h.text), units: [] };
    }
    current.units.push(...unitsOf(block, index, maxTokens));
  });
  if (current.units.length > 0) sections.push(current);
  return sections;
}

function unit(text: string, block: number, glue: string, isProse: boolean): Unit {
  return { text, tokens: countTokens(text), block, glue, isProse };
}

/** A block as units no bigger than `maxTokens` (the fence or table header counted in each part). */
function unitsOf(block: MarkdownBlock, index: number, maxTokens: number): Unit[] {
  const whole = unit(block.markdown, index, '\n\n', block.kind === 'paragraph');
  if (whole.tokens <= maxTokens) return [whole];
  // Tokens may merge differently across the joins of lines than counted line by line: keep a margin.
  const margin = 4;
  switch (block.kind) {
    case 'heading':
      // A heading made of a long link: cut at words like a paragraph line.
      return sentencesOf(block.markdown, maxTokens).map((piece, k) =>
        unit(piece.text, index, k === 0 ? '\n\n' : piece.glue, false),
      );
    case 'code': {
      const overhead = countTokens(`${block.open}\n\n${block.close}`) + margin;
      return groupLines(splitLongLines(block.lines, maxTokens - overhead), maxTokens - overhead).map(
        (lines) => unit([block.open, ...lines, block.close].join('\n'), index, '\n\n', false),
      );
    }
    case 'table': {
      const head = block.header.join('\n');
      const overhead = countTokens(`${head}\n`) + margin;
      return groupLines(splitLongLines(block.rows, maxTokens - overhead), maxTokens - overhead).map((rows) =>
        unit([...block.header, ...rows].join('\n'), index, '\n\n', false),
      );
    }
    case 'paragraph': {
      const units: Unit[] = [];
      block.lines.forEach((line, n) => {
        const glue = n === 0 ? '\n\n' : '\n';
        const lineUnit = unit(line, index, glue, true);
        if (lineUnit.tokens <= maxTokens) units.push(lineUnit);
        else
          sentencesOf(line, maxTokens).forEach((piece, k) =>
            units.push(unit(piece.text, index, k === 0 ? glue : piece.glue, true)),
          );
      });
      return units;
    }
  }
}

/** A piece of a cut text and what joins it to the piece before (a space between words, nothing inside one). */
interface Piece {
  text: string;
  glue: '' | ' ';
}

/** Sentences of `text`, each cut at words (then characters) when longer than `maxTokens`. */
function sentencesOf(text: string, maxTokens: number): Piece[] {
  const parts: Piece[] = [];
  for (const { segment } of sentences.segment(text)) {
    const sentence = segment.trim();
    if (sentence === '') continue;
    if (countTokens(sentence) <= maxTokens) parts.push({ text: sentence, glue: ' ' });
    else parts.push(...hardSplit(sentence, maxTokens, ' '));
  }
  return parts;
}

/** Lines of a code block or table rows cut into pieces of at most `budget` tokens. */
function splitLongLines(lines: string[], budget: number): string[] {
  return lines.flatMap((line) =>
    countTokens(line) <= budget ? [line] : hardSplit(line, budget, '').map((p) => p.text),
  );
}

/** Words (or, for one huge word, characters) packed into pieces of at most `budget` tokens. */
function hardSplit(text: string, budget: number, separator: ' ' | ''): Piece[] {
  const words = separator === ' ' ? text.split(/\s+/) : [text];
  const pieces: Piece[] = [];
  let piece = '';
  for (const word of words) {
    const candidate = piece === '' ? word : `${piece} ${word}`;
    if (countTokens(candidate) <= budget) {
      piece = candidate;
      continue;
    }
    if (piece !== '') pieces.push({ text: piece, glue: separator });
    if (countTokens(word) <= budget) {
      piece = word;
      continue;
    }
    // The longest prefix within the budget, by bisection, again and again.
    let rest = word;
    let glue: '' | ' ' = separator;
    while (rest !== '') {
      let low = 1;
      let high = rest.length;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (countTokens(rest.slice(0, mid)) <= budget) low = mid;
        else high = mid - 1;
      }
      pieces.push({ text: rest.slice(0, low), glue });
      rest = rest.slice(low);
      glue = '';
    }
    piece = '';
  }
  if (piece !== '') pieces.push({ text: piece, glue: separator });
  return pieces;
}

/** Lines grouped greedily into runs of at most `budget` tokens (one newline token between lines). */
function groupLines(lines: string[], budget: number): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let tokens = 0;
  for (const line of lines) {
    const lineTokens = countTokens(line) + 1;
    if (group.length > 0 && tokens + lineTokens > budget) {
      groups.push(group);
      group = [];
      tokens = 0;
    }
    group.push(line);
    tokens += lineTokens;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Tokens a unit adds after `previous` (its glue counts one). */
function cost(unitTokens: number, hasPrevious: boolean): number {
  return unitTokens + (hasPrevious ? 1 : 0);
}

/** Units packed into chunks of at most `maxTokens`, each starting with the overlap of the one before. */
function pack(units: Unit[], maxTokens: number, overlapTokens: number): Unit[][] {
  const chunks: Unit[][] = [];
  let current: Unit[] = [];
  let tokens = 0;
  let fresh = 0;
  for (const next of units) {
    if (fresh > 0 && !fits(current, tokens, next, maxTokens)) {
      chunks.push(current);
      current = overlapOf(current, overlapTokens, maxTokens - cost(next.tokens, true));
      tokens = current.reduce((sum, u, i) => sum + cost(u.tokens, i > 0), 0);
      fresh = 0;
    }
    tokens += cost(next.tokens, current.length > 0);
    current.push(next);
    fresh++;
  }
  if (fresh > 0) chunks.push(current);
  return chunks;
}

/**
 * Does `next` still fit after `current` (`tokens` by the units' own counts)? Near the budget the
 * joined text is counted exactly, since tokens can merge across the glue.
 */
function fits(current: Unit[], tokens: number, next: Unit, maxTokens: number): boolean {
  const estimate = tokens + cost(next.tokens, current.length > 0);
  if (estimate > maxTokens) return false;
  if (estimate < maxTokens - 8) return true;
  return countTokens(join([...current, next])) <= maxTokens;
}

/** The last prose units of `chunk` that fit in `overlapTokens` and in `room`. */
function overlapOf(chunk: Unit[], overlapTokens: number, room: number): Unit[] {
  const budget = Math.min(overlapTokens, room);
  const carried: Unit[] = [];
  let tokens = 0;
  for (let i = chunk.length - 1; i >= 0; i--) {
    const u = chunk[i]!;
    if (!u.isProse || tokens + cost(u.tokens, carried.length > 0) > budget) break;
    carried.unshift(u);
    tokens += cost(u.tokens, carried.length > 1);
  }
  return carried;
}

function join(units: Unit[]): string {
  let text = '';
  units.forEach((u, i) => {
    if (i > 0) text += u.block === units[i - 1]!.block ? u.glue : '\n\n';
    text += u.text;
  });
  return text;
}
