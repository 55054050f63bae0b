/**
 * A real HTTP proxy for the tests: Debian's tinyproxy (`.ci/run` installs it when missing), started
 * on a free loopback port with its own config, log and optional Basic credentials. `requests()`
 * reads the request lines it logged (`CONNECT 127.0.0.1:port HTTP/1.1`, `GET http://…`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isListening } from './net.js';

/** Whether tinyproxy is installed (tests skip, saying so, when it is not). */
export const hasTinyproxy = spawnSync('tinyproxy', ['-v']).status === 0;

export interface TestProxy {
  port: number;
  /** `http://[user:pass@]127.0.0.1:port` */
  url: string;
  /** The request lines the proxy logged so far. */
  requests(): string[];
  /** Kills the proxy (a proxy that dies mid-job); idempotent. */
  stop(): Promise<void>;
}

export async function startTinyproxy(options: { user?: string; password?: string } = {}): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-tinyproxy-'));
  const port = await freePort();
  const log = join(dir, 'log');
  writeFileSync(
    join(dir, 'conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${log}"`,
      'LogLevel Connect',
      'MaxClients 100',
      'Allow 127.0.0.1',
      'DisableViaHeader Yes',
      // No ConnectPort line: CONNECT to any port (the test sites listen on random ones).
      ...(options.user !== undefined ? [`BasicAuth ${options.user} ${options.password ?? ''}`] : []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`tinyproxy did not start on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let stopping: Promise<void> | undefined;
  const auth = options.user !== undefined ? `${options.user}:${options.password ?? ''}@` : '';
  return {
    port,
    url: `http://${auth}127.0.0.1:${port}`,
    requests: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .map((line) => /Request \(file descriptor \d+\): (.*)$/.exec(line)?.[1])
            .filter((line): line is string => line !== undefined)
        : [],
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await once(child, 'exit');
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
