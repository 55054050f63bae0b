// Server-Sent Events for the client's `events()` (`GET /v1/jobs/:id/events`), parsed line by line.
import type { JobView, ProgressEventData } from './types.js';
import { readLines } from './lines.js';

/** One Server-Sent Event of `GET /v1/jobs/:id/events`. */
export type JobEvent =
  | { event: 'progress'; id?: undefined; data: ProgressEventData }
  /** The last event of a stream: the final job (`status` is `completed` or `cancelled`). */
  | { event: 'completed'; id?: undefined; data: JobView }
  /** A row of the event log: `job.created`, `document.extracted`, `item.failed`, `job.cancelled`, `job.completed`. */
  | { event: string; id: string; data: unknown };

/** The events of a `text/event-stream` response; ends after the `completed` event. */
export async function* readEvents(response: Response): AsyncGenerator<JobEvent> {
  let id: string | undefined;
  let event = 'message';
  let data: string[] = [];
  for await (const line of readLines(response)) {
    if (line === '') {
      if (data.length > 0) {
        const parsed = JSON.parse(data.join('\n')) as unknown;
        yield (id !== undefined ? { event, id, data: parsed } : { event, data: parsed }) as JobEvent;
        if (event === 'completed') return;
      }
      id = undefined;
      event = 'message';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
}
