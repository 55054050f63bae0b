import { DistillError } from '../lib/index.js';

/** No job has this id (or it is not visible to the caller). */
export class JobNotFoundError extends DistillError {
  constructor(jobId: string) {
    super('job_not_found', `No job with id ${JSON.stringify(jobId)}`);
  }
}

/** URLs cannot be added to a cancelled job. */
export class JobCancelledError extends DistillError {
  constructor(jobId: string) {
    super('job_cancelled', `Job ${jobId} is cancelled; it takes no more URLs`);
  }
}
