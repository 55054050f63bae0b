import { DistillError } from '../lib/index.js';

/** No job has this id (or it is not visible to the caller). */
export class JobNotFoundError extends DistillError {
  constructor(jobId: string) {
    super('job_not_found', `No job with id ${JSON.stringify(jobId)}`);
  }
}

/** URLs cannot be added to a cancelled job. */
export class JobCancelledError extends DistillError {
  constructor(jobId: string, what = 'it takes no more URLs') {
    super('job_cancelled', `Job ${jobId} is cancelled; ${what}`);
  }
}

/** Only a finished job (completed or cancelled) can be deleted. */
export class JobNotFinishedError extends DistillError {
  constructor(jobId: string) {
    super('job_not_finished', `Job ${jobId} is still running; cancel it first, then delete it`);
  }
}

/** An upload's job holds no bytes to run again (`POST /v1/files` keeps only the document). */
export class UploadNotRetryableError extends DistillError {
  constructor(jobId: string) {
    super(
      'upload_not_retryable',
      `Job ${jobId} extracted an uploaded file, whose bytes are not kept; upload the file again (POST /v1/files)`,
    );
  }
}

/** A submission would take the tenant past its cap on queued URLs; nothing of it is kept. */
export class QueuedUrlsLimitError extends DistillError {
  readonly limit: number;
  readonly queued: number;
  constructor(input: { tenant: string; limit: number; queued: number; adding: number }) {
    super(
      'queued_urls_limit',
      `Tenant ${JSON.stringify(input.tenant)} has ${input.queued} URLs waiting and may have at most ${input.limit}; ` +
        `this submission would add up to ${input.adding}. Retry when some have finished.`,
    );
    this.limit = input.limit;
    this.queued = input.queued;
  }
}

/**
 * Writing a batch of a submission (or an append) failed after its job existed: the job holds the
 * `accepted` URLs of the batches before, and `cause` says why the rest was not stored. The API
 * answers with the cause's problem plus `jobId` and `accepted`, so the client can append the rest
 * (`POST /v1/jobs/:id/urls`; URLs the job already has are skipped) instead of starting over.
 */
export class SubmissionInterruptedError extends DistillError {
  readonly jobId: string;
  readonly accepted: number;
  constructor(jobId: string, accepted: number, cause: unknown) {
    super('submission_interrupted', `Storing the URLs of job ${jobId} failed after ${accepted} of them`, {
      cause,
    });
    this.jobId = jobId;
    this.accepted = accepted;
  }
}
