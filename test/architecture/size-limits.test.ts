import { describe, expect, it } from 'vitest';
import { MAX_CLASS_LINES, MAX_FILE_LINES, measure, measureClasses } from '../../scripts/size-limits.js';

// Issue 17's layout limits, kept: `npx tsx scripts/size-limits.ts --top 10` shows the largest.
describe('source layout limits', () => {
  const { files, classes } = measure(process.cwd());

  it(`keeps every source file under src/ at ${MAX_FILE_LINES} lines or fewer`, () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((m) => m.lines > MAX_FILE_LINES)).toEqual([]);
  });

  it(`keeps every class under src/ at ${MAX_CLASS_LINES} lines or fewer`, () => {
    expect(classes.some((m) => m.className === 'DistillClient')).toBe(true);
    expect(classes.filter((m) => m.lines > MAX_CLASS_LINES)).toEqual([]);
  });

  it('counts a class from its keyword to its closing brace', () => {
    const text = ['/** doc */', 'export class A {', '  x = 1;', '}', 'const B = class {};', ''].join('\n');
    expect(measureClasses('a.ts', text)).toEqual([
      { file: 'a.ts', className: 'A', lines: 3 },
      { file: 'a.ts', className: '(anonymous)', lines: 1 },
    ]);
  });
});
