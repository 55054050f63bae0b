import { createInterface } from 'node:readline';
import cliProgress from 'cli-progress';

/** Lines of a file or stream, trimmed; blank lines and `#` comments skipped. */
export async function* readLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) yield trimmed;
  }
}

/** Item counts of a job, as far as a progress bar shows them. */
export interface BarCounts {
  succeeded: number;
  failed: number;
  cancelled: number;
}

/**
 * What the bar shows of `counts`: its position is every item that ended (so a job answered
 * entirely from stored documents, or cancelled, ends at 100%), and the label says how each ended:
 * a cancelled item is counted as cancelled, never as done.
 */
export function barValues(counts: BarCounts): { value: number; payload: BarCounts } {
  const { succeeded, failed, cancelled } = counts;
  return { value: succeeded + failed + cancelled, payload: { succeeded, failed, cancelled } };
}

/**
 * The progress bar of long CLI operations, on stderr: ended of total, how many succeeded, failed
 * and were cancelled, rate and ETA. Outside a terminal it prints a line every 5 s instead of
 * redrawing.
 */
export function createProgressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format:
        '{bar} {percentage}% | {value}/{total} ended: {succeeded} done, {failed} failed, {cancelled} cancelled | {rate}/s | ETA {eta_formatted}{waiting}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** Writes one line to stdout, waiting when the pipe is full (so memory stays flat). */
export async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) {
    await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}

/**
 * A reader that stops early (`distill jobs results ID | head`) closes stdout: the next write fails
 * with EPIPE. That is the reader's choice, not an error: end at once, quietly, with exit code 0, as
 * Unix tools do. Any other stdout error is reported and exits 1.
 */
export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    console.error(`Writing to stdout failed: ${error.message}`);
    process.exit(1);
  });
}
