import { createReadStream } from 'node:fs';
import { DistillApiError, DistillClient } from '../client/index.js';
import type { DocumentField, JobView, ProgressEventData } from '../client/types.js';
import type { Config } from '../config/index.js';
import type { ParsedArgs } from './args.js';
import { createProgressBar, readLines, writeLine } from './io.js';

export const JOBS_USAGE = `distill jobs <submit|status|list|results|cancel|watch> [...] [--server URL]

  submit [url...] [-f FILE] [--max-age S] [--format F,..] [--watch]   submit URLs (args, file or stdin)
  status <job-id>                                                  the job's status and counts
  list                                                             recent jobs
  results <job-id> [--fields url,title,markdown]                   all documents as NDJSON on stdout
  cancel <job-id>                                                  cancel the job
  watch <job-id>                                                   a progress bar until the job ends

A thin client of a running server (distill serve), built on the typed client in distill/client.`;

/**
 * The job's status as a person reads it: a completed job with failures is "completed with N
 * failed", in red on a terminal, never a plain "completed".
 */
export function statusWord(job: Pick<JobView, 'status' | 'counts'>, isColor = false): string {
  if (job.counts.failed === 0) return job.status;
  const word = `${job.status} with ${job.counts.failed} failed`;
  return isColor ? `\u001b[31m${word}\u001b[39m` : word;
}

function summary(job: JobView, isColor = Boolean(process.stdout.isTTY)): string {
  const c = job.counts;
  return (
    `${job.id}  ${statusWord(job, isColor)}  ${Math.round(job.progress * 100)}%  ` +
    `succeeded ${c.succeeded}, failed ${c.failed}, cancelled ${c.cancelled}, running ${c.running}, queued ${c.queued} of ${job.total}`
  );
}

/** Follows the job's event stream with a progress bar on stderr; resolves with the final job. */
async function watch(client: DistillClient, jobId: string): Promise<JobView> {
  let job = await client.getJob(jobId);
  const bar = createProgressBar();
  const startedAt = Date.now();
  const done = (j: JobView): number => j.counts.succeeded + j.counts.failed + j.counts.cancelled;
  const startDone = done(job);
  bar.start(job.total, done(job), { failed: job.counts.failed, rate: '0.0' });
  try {
    for await (const event of client.events(jobId)) {
      if (event.event === 'progress') {
        const data = event.data as ProgressEventData;
        const finished = data.counts.succeeded + data.counts.failed + data.counts.cancelled;
        const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
        bar.setTotal(data.total);
        bar.update(finished, { failed: data.counts.failed, rate: ((finished - startDone) / seconds).toFixed(1) });
      } else if (event.event === 'completed') {
        job = event.data as JobView;
        bar.update(done(job), { failed: job.counts.failed });
      }
    }
  } finally {
    bar.stop();
  }
  return job;
}

/** `distill jobs …`: returns the exit code (1 when a watched job had failures, 2 on bad usage). */
export async function runJobs(config: Config, args: ParsedArgs): Promise<number> {
  const [action, ...rest] = args.positionals;
  const client = new DistillClient({ baseUrl: config.server, ...(config.apiKey !== '' ? { apiKey: config.apiKey } : {}) });
  const needId = (): string | undefined => {
    if (rest[0] === undefined) console.error(`\`distill jobs ${action}\` needs a job id.\n\n${JOBS_USAGE}`);
    return rest[0];
  };
  try {
    switch (action) {
      case 'submit': {
        const file = args.flags.get('-f') ?? args.flags.get('--file');
        const maxAge = args.flags.get('--max-age');
        const formats = args.flags.get('--format')?.split(',').map((f) => f.trim());
        const options = {
          ...(maxAge !== undefined ? { maxAge: Number(maxAge) } : {}),
          ...(formats ? { formats: formats as never } : {}),
        };
        let response;
        if (rest.length > 0) response = await client.submit(rest, options);
        else if (file !== undefined) response = await client.submitStream(readLines(createReadStream(file)), options);
        else if (!process.stdin.isTTY) response = await client.submitStream(readLines(process.stdin), options);
        else {
          console.error(`No URLs given.\n\n${JOBS_USAGE}`);
          return 2;
        }
        const { job, submission } = response;
        console.log(JSON.stringify({ id: job.id, status: job.status, ...submission }));
        if (args.flags.has('--watch')) {
          const final = await watch(client, job.id);
          console.error(summary(final, Boolean(process.stderr.isTTY)));
          return final.counts.failed > 0 ? 1 : 0;
        }
        return 0;
      }
      case 'status': {
        const id = needId();
        if (id === undefined) return 2;
        console.log(summary(await client.getJob(id)));
        return 0;
      }
      case 'list': {
        const page = await client.listJobs({ limit: 20 });
        for (const job of page.items) console.log(summary(job));
        return 0;
      }
      case 'results': {
        const id = needId();
        if (id === undefined) return 2;
        const fields = args.flags.get('--fields')?.split(',').map((f) => f.trim()) as DocumentField[] | undefined;
        for await (const doc of client.results(id, fields ? { fields } : {})) {
          await writeLine(JSON.stringify(doc));
        }
        return 0;
      }
      case 'cancel': {
        const id = needId();
        if (id === undefined) return 2;
        console.log(summary(await client.cancel(id)));
        return 0;
      }
      case 'watch': {
        const id = needId();
        if (id === undefined) return 2;
        const final = await watch(client, id);
        console.error(summary(final, Boolean(process.stderr.isTTY)));
        return final.counts.failed > 0 ? 1 : 0;
      }
      default:
        console.error(JOBS_USAGE);
        return 2;
    }
  } catch (error) {
    if (error instanceof DistillApiError) {
      console.error(`${error.problem.status} ${error.problem.code}: ${error.problem.detail ?? error.problem.title}`);
      return 1;
    }
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') {
      console.error(`No distill server at ${config.server} (start one with \`distill serve\`, or pass --server URL)`);
      return 1;
    }
    throw error;
  }
}
