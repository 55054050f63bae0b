import type { ProblemDetails } from './types.js';

/** An answer of the API that is an error: carries the `application/problem+json` body. */
export class DistillApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string | undefined;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'DistillApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.problem = problem;
  }

  /** The error of a failed response: its problem+json body, or one described from the status line. */
  static async fromResponse(response: Response): Promise<DistillApiError> {
    const text = await response.text().catch(() => '');
    try {
      const body = JSON.parse(text) as Partial<ProblemDetails>;
      if (typeof body.code === 'string') {
        return new DistillApiError({
          type: 'about:blank',
          title: response.statusText,
          ...body,
          status: response.status,
          code: body.code,
        });
      }
    } catch {
      // Not JSON (a proxy's error page): described below from the status line.
    }
    return new DistillApiError({
      type: 'about:blank',
      title: response.statusText || 'HTTP error',
      status: response.status,
      code: `http_${response.status}`,
      detail: text.slice(0, 200),
    });
  }
}
