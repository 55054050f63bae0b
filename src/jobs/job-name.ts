/**
 * Job names (issue 22): a name given at submission, checked here, or one made from the job's first
 * URL and its size ("example.com +41"), so that a list of jobs reads without their ids.
 */

/** Longest job name, in characters (UTF-16 code units). */
export const MAX_JOB_NAME_LENGTH = 200;

/** Control characters (C0, DEL, C1) and line or paragraph separators: none belongs in a name. */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A submitted name, trimmed, or why it is refused. */
export function checkJobName(raw: string): { ok: true; name: string } | { ok: false; message: string } {
  const name = raw.trim();
  if (name === '') return { ok: false, message: 'must not be empty or only spaces' };
  if (name.length > MAX_JOB_NAME_LENGTH) {
    return {
      ok: false,
      message: `has ${name.length} characters; at most ${MAX_JOB_NAME_LENGTH} are accepted`,
    };
  }
  if (FORBIDDEN.test(name)) return { ok: false, message: 'must not hold control characters or line breaks' };
  return { ok: true, name };
}

/**
 * The name a job is shown under: the one it was given, else its first URL's host and how many
 * more URLs it has ("example.com +41"; an uploaded file by its file name), else "Job" and the
 * start of its id (a job whose items retention removed).
 */
export function displayJobName(job: {
  id: string;
  name?: string | undefined;
  firstUrl?: string | undefined;
  total: number;
}): string {
  if (job.name !== undefined) return job.name;
  const first = job.firstUrl === undefined ? undefined : urlLabel(job.firstUrl);
  if (first === undefined) return `Job ${job.id.slice(0, 8)}`;
  return job.total > 1 ? `${first} +${job.total - 1}` : first;
}

/** The host of a URL; for an uploaded file (upload.distill.invalid), its file name. */
function urlLabel(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.hostname === 'upload.distill.invalid') {
    const last = parsed.pathname.split('/').pop() ?? '';
    try {
      return decodeURIComponent(last) || parsed.hostname;
    } catch {
      return last || parsed.hostname;
    }
  }
  return parsed.host;
}
