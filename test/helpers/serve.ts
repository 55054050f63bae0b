import { spawn, type ChildProcess } from 'node:child_process';
import { DistillClient } from '../../src/client/index.js';
import { waitFor } from './store.js';

/**
 * Starts `distill serve` from the sources in a child process on `port`, with `env` over this
 * process's environment, and waits until it answers. `onSpawn` gets the process the moment it
 * exists, so that the caller's cleanup kills it even when the test times out while it starts; a
 * server that exits before it answers (its port taken, say) fails at once, not at the timeout.
 */
export async function startServe(
  port: number,
  env: Record<string, string>,
  onSpawn: (proc: ChildProcess) => void,
): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/distill.ts', 'serve'], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  onSpawn(proc);
  const client = new DistillClient({ baseUrl: `http://127.0.0.1:${port}` });
  await waitFor(
    async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(
          `distill serve exited (${proc.exitCode ?? proc.signalCode}) before it answered on port ${port}`,
        );
      }
      try {
        await client.health();
        return true;
      } catch {
        return false;
      }
    },
    60_000,
    'the server to answer',
  );
  return proc;
}
