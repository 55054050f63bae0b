/**
 * Real SOCKS5 servers for the tests, from Debian's packages (`.ci/run` installs both when missing):
 * `microsocks` (no authentication, or a username and password) and Dante's `danted` (no
 * authentication), each started on a free loopback port with files of its own in a temp folder.
 * `connections()` reads the destinations (`127.0.0.1:port`) the server logged it connected to.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isListening } from './net.js';

/** Whether microsocks is installed. */
export const hasMicrosocks = spawnSync('sh', ['-c', 'command -v microsocks']).status === 0;
/** Whether Dante's server is installed. */
export const hasDante = spawnSync('sh', ['-c', 'command -v danted']).status === 0;

/** What a test says when a SOCKS server it needs is missing (it fails rather than skip). */
export function missingSocksServers(): string | undefined {
  const missing = [...(hasMicrosocks ? [] : ['microsocks']), ...(hasDante ? [] : ['dante-server'])];
  if (missing.length === 0) return undefined;
  return `The SOCKS5 tests need Debian's ${missing.join(' and ')} (apt-get install -y ${missing.join(' ')}; .ci/run installs them)`;
}

export interface TestSocksProxy {
  port: number;
  /** `socks5://[user:pass@]127.0.0.1:port` (or `socks5h://`). */
  url: string;
  /** Destinations (`address:port`) the server logged a connection to, so far. */
  connections(): string[];
  /** Kills the server (a proxy that dies mid-job); idempotent. */
  stop(): Promise<void>;
}

async function started(
  name: string,
  child: ChildProcess,
  port: number,
  dir: string,
  url: string,
  connections: () => string[],
): Promise<TestSocksProxy> {
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    url,
    connections,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          // The whole process group: danted forks workers of its own.
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
          await once(child, 'exit');
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
}

/** microsocks on loopback; with `user`, it asks for that username and password (RFC 1929). */
export async function startMicrosocks(
  options: { user?: string; password?: string; scheme?: 'socks5' | 'socks5h' } = {},
): Promise<TestSocksProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-microsocks-'));
  const port = await freePort();
  const log = join(dir, 'log');
  const auth = options.user === undefined ? [] : ['-u', options.user, '-P', options.password ?? ''];
  const out = openSync(log, 'a');
  const child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port), ...auth], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  const credentials = options.user === undefined ? '' : `${options.user}:${options.password ?? ''}@`;
  // microsocks logs `client[5] 127.0.0.1: connected to 127.0.0.1:41081`.
  const connections = (): string[] =>
    lines(log).flatMap((line) => /connected to (\S+)$/.exec(line)?.[1] ?? []);
  return started(
    'microsocks',
    child,
    port,
    dir,
    `${options.scheme ?? 'socks5'}://${credentials}127.0.0.1:${port}`,
    connections,
  );
}

/** Dante's danted on loopback, without authentication, logging every connect. */
export async function startDante(options: { scheme?: 'socks5' | 'socks5h' } = {}): Promise<TestSocksProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-dante-'));
  const port = await freePort();
  const log = join(dir, 'log');
  writeFileSync(
    join(dir, 'conf'),
    [
      `logoutput: ${log}`,
      `internal: 127.0.0.1 port = ${port}`,
      'external: 127.0.0.1',
      'socksmethod: none',
      'clientmethod: none',
      'user.privileged: root',
      'user.unprivileged: nobody',
      'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
      'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect }',
      '',
    ].join('\n'),
  );
  const child = spawn('danted', ['-f', join(dir, 'conf'), '-N', '1', '-p', join(dir, 'pid')], {
    stdio: 'ignore',
    detached: true,
  });
  // `pass(1): tcp/connect [: 127.0.0.1.56830 127.0.0.1.41082 -> 127.0.0.1.40131 127.0.0.1.41081`
  const connections = (): string[] =>
    lines(log).flatMap((line) => {
      const match = /tcp\/connect \[: .* -> \S+ (\d+\.\d+\.\d+\.\d+)\.(\d+)/.exec(line);
      return match ? [`${match[1]}:${match[2]}`] : [];
    });
  return started(
    'danted',
    child,
    port,
    dir,
    `${options.scheme ?? 'socks5'}://127.0.0.1:${port}`,
    connections,
  );
}
