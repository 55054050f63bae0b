/**
 * Measures the layout limits of docs/development.md: lines per source file and per class declaration
 * (issue 17: no source file over 500 lines, no class over 300). `npx tsx scripts/size-limits.ts`
 * prints every file and class over the limits (or the largest, with `--top N`); the test
 * test/architecture/size-limits.test.ts asserts there are none.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** Longest source file allowed, in lines. */
export const MAX_FILE_LINES = 500;
/** Longest class declaration allowed, in lines (from `class` to its closing brace). */
export const MAX_CLASS_LINES = 300;

/** One measured source file or class. */
export interface Measure {
  file: string;
  /** The class name, or undefined for a whole file. */
  className?: string;
  lines: number;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

/** Every class declaration or expression in a file, with its length in lines. */
export function measureClasses(file: string, text: string): Measure[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Measure[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file, className: node.name?.text ?? '(anonymous)', lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Lines of every source file under `src/` of `root`, and of every class in them. */
export function measure(root: string): { files: Measure[]; classes: Measure[] } {
  const files: Measure[] = [];
  const classes: Measure[] = [];
  for (const path of sourceFiles(join(root, 'src'))) {
    const file = relative(root, path);
    const text = readFileSync(path, 'utf8');
    files.push({ file, lines: lineCount(text) });
    classes.push(...measureClasses(file, text));
  }
  return { files, classes };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex === -1 ? 0 : Number(process.argv[topIndex + 1] ?? 10);
  const { files, classes } = measure(process.cwd());
  const byLines = (a: Measure, b: Measure): number => b.lines - a.lines;
  const show = (list: Measure[], limit: number, kind: string): number => {
    const sorted = [...list].sort(byLines);
    const over = sorted.filter((m) => m.lines > limit);
    for (const m of top > 0 ? sorted.slice(0, top) : over) {
      console.log(
        `${m.lines > limit ? 'OVER' : '    '} ${String(m.lines).padStart(5)}  ${kind} ${m.className ?? ''} ${m.file}`,
      );
    }
    return over.length;
  };
  const overFiles = show(files, MAX_FILE_LINES, 'file ');
  const overClasses = show(classes, MAX_CLASS_LINES, 'class');
  console.log(
    `${overFiles} files over ${MAX_FILE_LINES} lines, ${overClasses} classes over ${MAX_CLASS_LINES} lines`,
  );
  process.exitCode = overFiles + overClasses > 0 ? 1 : 0;
}
