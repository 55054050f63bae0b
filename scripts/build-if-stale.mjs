#!/usr/bin/env node
/**
 * `npm start` builds only when the build is older than what it is built from: the sources under
 * `src/`, `package.json`, the lockfile and the tsconfig files. A full build (tsc and the web page's
 * Vite build) takes many seconds on a small machine, every start, for nothing when nothing
 * changed. `npm run build` writes `dist/.build-stamp` last; this script compares modification times
 * with it. With `--check` it only prints `fresh` or `stale` (exit code 0 or 1).
 *
 * Hand-written because it is twenty lines: build tools that cache (tsc -b, turbo, wireit) would
 * each cover one of the two builds, or bring a task runner.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
export const STAMP = join('dist', '.build-stamp');

/** The newest modification time under `path` (a file or a folder, walked), in ms; 0 when missing. */
function newestUnder(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // A deleted file shows as a newer folder.
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestUnder(join(path, entry)));
  return newest;
}

/** Whether the build in `root` is older than one of its inputs (or missing). */
export function isStale(root, inputs = INPUTS, stamp = STAMP) {
  const built = newestUnder(join(root, stamp));
  if (built === 0) return true;
  return inputs.some((input) => newestUnder(join(root, input)) > built);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.cwd();
  const stale = isStale(root);
  if (process.argv.includes('--check')) {
    console.log(stale ? 'stale' : 'fresh');
    process.exitCode = stale ? 1 : 0;
  } else if (stale) {
    const result = spawnSync('npm', ['run', 'build', '--silent'], {
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    process.exitCode = result.status ?? 1;
  }
}
