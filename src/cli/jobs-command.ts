import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describePoliteness, DistillApiError, DistillClient } from '../client/index.js';
import type {
  DocumentField,
  ItemStateName,
  JobView,
  PolitenessView,
  ProgressEventData,
} from '../client/types.js';
import type { Config } from '../config/index.js';
import type { ParsedArgs } from './args.js';
import { barValues, createProgressBar, readLines, writeLine } from './io.js';
import { markdownFileName, toMarkdownFile } from '../jobs/index.js';

const ITEM_STATES: readonly ItemStateName[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const JOB_STATUSES: ReadonlyArray<JobView['status']> = ['queued', 'running', 'completed', 'cancelled'];
/** What a Markdown file is written from (see markdown-files.ts). */
const MARKDOWN_FIELDS: readonly DocumentField[] = [
  'url',
  'title',
  'byline',
  'publishedTime',
  'fetchedAt',
  'markdown',
  'text',
];

export const JOBS_USAGE = `distill jobs <submit|status|list|items|results|cancel|retry|delete|watch> [...] [--server URL]

  submit [url...] [-f FILE] [--name N] [--max-age S] [--format F,..] [--watch]
                                                                   submit URLs (args, file or stdin)
  status <job-id>                                                  the job's status and counts
  list [--status S] [--search TEXT]                                recent jobs, by name, status or URL
  items <job-id> [--state failed]                                  the job's items as NDJSON (url, state, error)
  results <job-id> [--fields url,title,markdown] [-o DIR]          all documents as NDJSON, or Markdown files into DIR
  cancel <job-id>                                                  cancel the job
  retry <job-id> [--watch]                                         run the failed items again
  delete <job-id>                                                  delete a finished job (its documents stay)
  watch <job-id>                                                   a progress bar until the job ends

Examples:
  distill jobs submit -f urls.txt --name "Docs refresh" --watch
  distill jobs list --search example.com
  distill jobs items 0f3c… --state failed
  distill jobs results 0f3c… -o out/

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
    `${job.id}  ${JSON.stringify(job.name ?? '')}  ${statusWord(job, isColor)}  ${Math.round(job.progress * 100)}%  ` +
    `succeeded ${c.succeeded}, failed ${c.failed}, cancelled ${c.cancelled}, running ${c.running}, queued ${c.queued} of ${job.total}`
  );
}

/** Most failed items listed after a watched job; the rest are counted. */
const FAILED_SHOWN = 20;

/** After a watched job: its failed URLs with their codes, on stderr (the first `FAILED_SHOWN`). */
async function reportFailed(client: DistillClient, job: JobView): Promise<void> {
  if (job.counts.failed === 0) return;
  const page = await client.listItems(job.id, { state: 'failed', limit: FAILED_SHOWN });
  for (const item of page.items)
    console.error(
      `failed ${item.url}: ${item.error?.code ?? 'unknown'} ${item.error?.message ?? ''}`.trimEnd(),
    );
  if (job.counts.failed > page.items.length)
    console.error(
      `… and ${job.counts.failed - page.items.length} more failed (distill jobs items ${job.id} --state failed)`,
    );
}

/** The bar's tail while items wait on per-host limits: " | 2 in flight, waiting for host x: 2 requests/s, …". */
export function waitingText(politeness: PolitenessView | undefined): string {
  return politeness === undefined ? '' : ` | ${describePoliteness(politeness)}`;
}

/** Follows the job's event stream with a progress bar on stderr; resolves with the final job. */
async function watch(client: DistillClient, jobId: string): Promise<JobView> {
  let job = await client.getJob(jobId);
  const bar = createProgressBar();
  const startedAt = Date.now();
  const startValue = barValues(job.counts).value;
  bar.start(job.total, startValue, {
    ...barValues(job.counts).payload,
    rate: '0.0',
    waiting: waitingText(job.politeness),
  });
  const show = (counts: JobView['counts'], politeness?: PolitenessView): void => {
    const { value, payload } = barValues(counts);
    const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
    bar.update(value, {
      ...payload,
      rate: ((value - startValue) / seconds).toFixed(1),
      waiting: waitingText(politeness),
    });
  };
  try {
    for await (const event of client.events(jobId)) {
      if (event.event === 'progress') {
        const data = event.data as ProgressEventData;
        bar.setTotal(data.total);
        show(data.counts, data.politeness);
      } else if (event.event === 'completed') {
        job = event.data as JobView;
        bar.setTotal(job.total);
        show(job.counts);
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
  const client = new DistillClient({
    baseUrl: config.server,
    ...(config.apiKey !== '' ? { apiKey: config.apiKey } : {}),
  });
  const needId = (): string | undefined => {
    if (rest[0] === undefined) console.error(`\`distill jobs ${action}\` needs a job id.\n\n${JOBS_USAGE}`);
    return rest[0];
  };
  try {
    switch (action) {
      case 'submit': {
        const file = args.flags.get('-f') ?? args.flags.get('--file');
        const maxAge = args.flags.get('--max-age');
        const formats = args.flags
          .get('--format')
          ?.split(',')
          .map((f) => f.trim());
        const name = args.flags.get('--name');
        const options = {
          ...(maxAge !== undefined ? { maxAge: Number(maxAge) } : {}),
          ...(formats ? { formats: formats as never } : {}),
          ...(name !== undefined ? { name } : {}),
        };
        let response;
        if (rest.length > 0) response = await client.submit(rest, options);
        else if (file !== undefined)
          response = await client.submitStream(readLines(createReadStream(file)), options);
        else if (!process.stdin.isTTY)
          response = await client.submitStream(readLines(process.stdin), options);
        else {
          console.error(`No URLs given.\n\n${JOBS_USAGE}`);
          return 2;
        }
        const { job, submission } = response;
        console.log(JSON.stringify({ id: job.id, name: job.name, status: job.status, ...submission }));
        if (args.flags.has('--watch')) {
          const final = await watch(client, job.id);
          await reportFailed(client, final);
          console.error(summary(final, Boolean(process.stderr.isTTY)));
          return final.counts.failed > 0 ? 1 : 0;
        }
        return 0;
      }
      case 'status': {
        const id = needId();
        if (id === undefined) return 2;
        const job = await client.getJob(id);
        console.log(summary(job) + waitingText(job.politeness).replace(' | ', '\n'));
        return 0;
      }
      case 'list': {
        const status = args.flags.get('--status');
        if (status !== undefined && !JOB_STATUSES.includes(status as JobView['status'])) {
          console.error(`--status takes ${JOB_STATUSES.join(', ')}; got ${JSON.stringify(status)}`);
          return 2;
        }
        const q = args.flags.get('--search');
        const page = await client.listJobs({
          limit: 20,
          ...(status !== undefined ? { status: status as JobView['status'] } : {}),
          ...(q ? { q } : {}),
        });
        if (page.items.length === 0) console.error(q || status ? 'No job matches.' : 'No jobs yet.');
        for (const job of page.items) console.log(summary(job));
        return 0;
      }
      case 'items': {
        const id = needId();
        if (id === undefined) return 2;
        const state = args.flags.get('--state');
        if (state !== undefined && !ITEM_STATES.includes(state as ItemStateName)) {
          console.error(`--state takes ${ITEM_STATES.join(', ')}; got ${JSON.stringify(state)}`);
          return 2;
        }
        let cursor: string | undefined;
        do {
          const page = await client.listItems(id, {
            limit: 1000,
            ...(state !== undefined ? { state: state as ItemStateName } : {}),
            ...(cursor !== undefined ? { cursor } : {}),
          });
          for (const item of page.items) await writeLine(JSON.stringify(item));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        return 0;
      }
      case 'results': {
        const id = needId();
        if (id === undefined) return 2;
        const outDir = args.flags.get('-o') ?? args.flags.get('--out');
        if (outDir !== undefined) {
          await mkdir(outDir, { recursive: true });
          let written = 0;
          for await (const doc of client.results(id, { fields: MARKDOWN_FIELDS })) {
            if (doc.url === undefined || doc.fetchedAt === undefined) continue;
            await writeFile(
              join(outDir, markdownFileName(doc.url)),
              toMarkdownFile({ ...doc, url: doc.url, title: doc.title ?? null, fetchedAt: doc.fetchedAt }),
            );
            written++;
          }
          console.error(`${written} Markdown files written into ${outDir}`);
          return 0;
        }
        const fields = args.flags
          .get('--fields')
          ?.split(',')
          .map((f) => f.trim()) as DocumentField[] | undefined;
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
      case 'delete': {
        const id = needId();
        if (id === undefined) return 2;
        await client.deleteJob(id);
        console.error(`Deleted job ${id}.`);
        return 0;
      }
      case 'retry': {
        const id = needId();
        if (id === undefined) return 2;
        const { job, retried } = await client.retryFailed(id);
        console.error(
          retried === 0
            ? 'Nothing to retry: no item of this job failed.'
            : `${retried} failed item${retried === 1 ? '' : 's'} queued again.`,
        );
        if (retried > 0 && args.flags.has('--watch')) {
          const final = await watch(client, job.id);
          await reportFailed(client, final);
          console.error(summary(final, Boolean(process.stderr.isTTY)));
          return final.counts.failed > 0 ? 1 : 0;
        }
        console.log(summary(job));
        return 0;
      }
      case 'watch': {
        const id = needId();
        if (id === undefined) return 2;
        const final = await watch(client, id);
        await reportFailed(client, final);
        console.error(summary(final, Boolean(process.stderr.isTTY)));
        return final.counts.failed > 0 ? 1 : 0;
      }
      default:
        console.error(JOBS_USAGE);
        return 2;
    }
  } catch (error) {
    if (error instanceof DistillApiError) {
      console.error(
        `${error.problem.status} ${error.problem.code}: ${error.problem.detail ?? error.problem.title}`,
      );
      return 1;
    }
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') {
      console.error(
        `No distill server at ${config.server} (start one with \`distill serve\`, or pass --server URL)`,
      );
      return 1;
    }
    throw error;
  }
}
