/**
 * Installing distill outside the clone, as the README says: `npm install -g .` of the checkout
 * (into a temporary prefix here, `--offline`: nothing comes from the registry), then `distill`
 * found on PATH from another directory. npm links the checkout, so the command runs the build in
 * dist/; a missing build is made first (what `npm run build` would do).
 *
 * Not `npm pack` + install of the tarball: that installs the dependencies from the registry (not
 * loopback) and the package is not published as a tarball (dist/ is git-ignored, so not packed).
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm install -g of the checkout', () => {
  let prefix: string;
  let elsewhere: string;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
      const build = await run(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        { cwd: ROOT },
      );
      expect(build.code, build.stdout + build.stderr).toBe(0);
    }
    prefix = mkdtempSync(join(tmpdir(), 'distill-prefix-'));
    elsewhere = mkdtempSync(join(tmpdir(), 'distill-elsewhere-'));
  }, 300_000);

  afterAll(() => {
    for (const dir of [prefix, elsewhere]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives a working `distill` command on PATH, run from another directory', async () => {
    const install = await run(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', ROOT],
      { cwd: elsewhere },
    );
    expect(install.code, install.stderr).toBe(0);
    expect(lstatSync(join(prefix, 'bin', 'distill')).isSymbolicLink()).toBe(true);

    const env = { ...process.env, PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH ?? ''}` };
    const help = await run('distill', ['--help'], { cwd: elsewhere, env });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: distill <command> [options]');
    const extract = await run('distill', ['extract', '--help'], { cwd: elsewhere, env });
    expect(extract.code, extract.stderr).toBe(0);
    expect(extract.stdout).toContain('distill extract [url|path...]');
  }, 120_000);
});
