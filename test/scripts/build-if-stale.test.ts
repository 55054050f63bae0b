import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStale } from '../../scripts/build-if-stale.mjs';

describe('npm start builds only when something changed (scripts/build-if-stale.mjs)', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A checkout with one source file and a build stamp, `stampAge` seconds older than the source (negative: newer). */
  function checkout(stampAge: number): string {
    root = mkdtempSync(join(tmpdir(), 'distill-stale-'));
    mkdirSync(join(root, 'src', 'api'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    const source = join(root, 'src', 'api', 'a.ts');
    writeFileSync(source, 'export {};\n');
    writeFileSync(join(root, 'package.json'), '{}\n');
    const stamp = join(root, 'dist', '.build-stamp');
    writeFileSync(stamp, 'built\n');
    const now = Date.now() / 1000;
    for (const path of [source, join(root, 'src', 'api'), join(root, 'src'), join(root, 'package.json')])
      utimesSync(path, now - 100, now - 100);
    utimesSync(stamp, now - 100 - stampAge, now - 100 - stampAge);
    return root;
  }

  it('skips the build when the stamp is newer than every input', () => {
    expect(isStale(checkout(-10))).toBe(false);
  });

  it('builds when a source file is newer than the stamp, or the stamp is missing', () => {
    expect(isStale(checkout(10))).toBe(true);
    const fresh = checkout(-10);
    rmSync(join(fresh, 'dist', '.build-stamp'));
    expect(isStale(fresh)).toBe(true);
  });

  it('builds after package.json changed (a new dependency)', () => {
    const dir = checkout(-10);
    const later = Date.now() / 1000;
    utimesSync(join(dir, 'package.json'), later, later);
    expect(isStale(dir)).toBe(true);
  });
});
