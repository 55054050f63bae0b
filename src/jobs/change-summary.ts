import type { ChangeSummary } from './types.js';

/** Lines quoted per side in a summary, and characters per quoted line. */
const MAX_QUOTED_LINES = 5;
const MAX_LINE_CHARS = 200;

function countWords(text: string): number {
  const words = text.match(/\S+/g);
  return words ? words.length : 0;
}

function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * How `newText` differs from `oldText`, briefly: word counts, and the lines added and removed
 * counted as multisets (order is ignored: a moved line is no change), with the first few of each
 * quoted. Linear in the texts' size; no diff algorithm, so a huge document costs no more than a scan.
 */
export function summarizeChange(oldText: string, newText: string): ChangeSummary {
  const oldLines = linesOf(oldText);
  const newLines = linesOf(newText);
  const remaining = new Map<string, number>();
  for (const line of oldLines) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  const added: string[] = [];
  let addedLines = 0;
  for (const line of newLines) {
    const n = remaining.get(line) ?? 0;
    if (n > 0) {
      remaining.set(line, n - 1);
      continue;
    }
    addedLines++;
    if (added.length < MAX_QUOTED_LINES) added.push(line.slice(0, MAX_LINE_CHARS));
  }
  const removed: string[] = [];
  let removedLines = 0;
  for (const line of oldLines) {
    const n = remaining.get(line) ?? 0;
    if (n === 0) continue;
    remaining.set(line, n - 1);
    removedLines++;
    if (removed.length < MAX_QUOTED_LINES) removed.push(line.slice(0, MAX_LINE_CHARS));
  }
  return {
    oldWordCount: countWords(oldText),
    newWordCount: countWords(newText),
    addedLines,
    removedLines,
    added,
    removed,
  };
}
