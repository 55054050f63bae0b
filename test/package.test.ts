import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
};

describe('package.json', () => {
  it('exports only files the build writes: each target is a source file of tsconfig.build.json', () => {
    for (const [entry, conditions] of Object.entries(pkg.exports)) {
      for (const target of Object.values(conditions)) {
        const source = target.replace(/^\.\/dist\//, './src/').replace(/\.d\.ts$|\.js$/, '.ts');
        expect(
          existsSync(new URL(`../${source}`, import.meta.url)),
          `${entry} → ${target} (from ${source})`,
        ).toBe(true);
      }
    }
  });
});
