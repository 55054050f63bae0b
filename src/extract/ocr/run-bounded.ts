import { spawn } from 'node:child_process';

/** How {@link runBounded} ended when it did not succeed. */
export type BoundedFailure = 'missing' | 'timeout' | 'too_much_output' | 'failed';

/** A child process that did not give its output: which way, and its stderr's first line. */
export class BoundedRunError extends Error {
  readonly failure: BoundedFailure;
  constructor(failure: BoundedFailure, message: string) {
    super(message);
    this.name = 'BoundedRunError';
    this.failure = failure;
  }
}

/** Options of {@link runBounded}. */
export interface BoundedRunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: Uint8Array;
  /** The child is killed (SIGKILL) past this, in ms. */
  timeoutMs: number;
  /** The child is killed when its stdout passes this many bytes. */
  maxOutputBytes: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a program with a time limit and a cap on its output, and resolves with its stdout. Never
 * a shell (arguments go as they are). The child is killed with SIGKILL at the limit, so a stuck
 * Tesseract or pdftoppm cannot outlive its page; stderr keeps only its first 4 KiB, for the message.
 */
export function runBounded(
  command: string,
  args: readonly string[],
  options: BoundedRunOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: BoundedFailure | null = null;
    const kill = (why: BoundedFailure): void => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxOutputBytes) kill('too_much_output');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    // A child that exits before reading all its input closes the pipe: that is not our error.
    child.stdin.on('error', () => undefined);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new BoundedRunError(error.code === 'ENOENT' ? 'missing' : 'failed', `${command}: ${error.message}`),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure === 'timeout')
        reject(new BoundedRunError('timeout', `${command} took longer than ${options.timeoutMs} ms`));
      else if (failure === 'too_much_output')
        reject(
          new BoundedRunError(
            'too_much_output',
            `${command} wrote more than ${options.maxOutputBytes} bytes`,
          ),
        );
      else if (code !== 0) {
        const detail =
          stderr
            .trim()
            .split('\n')
            .find((line) => line.trim() !== '') ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
        reject(new BoundedRunError('failed', `${command} failed: ${detail.slice(0, 300)}`));
      } else resolve(Buffer.concat(chunks));
    });
    if (options.input) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
