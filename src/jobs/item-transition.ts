import type { DomainEvent, EventPayloads } from './events.js';
import type { ItemOutcome } from './ports.js';
import type { ChangeSummary, ItemLlmResult, ItemState } from './types.js';

/**
 * The end of an attempt, as a pure function (the item state machine of `types.ts`):
 *
 *   running ──succeeded──► succeeded   document.extracted (+ document.changed)   running −1, succeeded +1
 *   running ──failed─────► failed      item.failed                               running −1, failed +1
 *   running ──retry──────► queued      (none)                                    running −1, queued +1
 *   running ──cancelled──► cancelled   (none)                                    running −1, cancelled +1
 *
 * Every transition releases the lease. Any other item (not `running`, or leased under another
 * token: a worker whose lease expired and was taken over) is not the caller's to finish, and
 * nothing changes. The attempt store reads the item under its lock, stores the document of a
 * success, calls this, and writes what it returns in the same transaction; `job.completed` comes
 * from the counter changes, after these events, so it stays a job's last event.
 */
export function transitionItem(item: AttemptedItem, attempt: Attempt): ItemTransition {
  if (!holdsLease(item, attempt.token)) return { isRecorded: false };
  const { outcome, now } = attempt;
  const ref = { jobId: item.jobId, seq: item.seq };
  const released = { updatedAt: now };
  switch (outcome.kind) {
    case 'succeeded': {
      const stored = attempt.stored;
      if (stored === undefined)
        throw new TypeError('A succeeded attempt needs its stored document (`stored`)');
      const { documentId, change } = stored;
      const events: DomainEvent[] = [
        {
          type: 'document.extracted',
          payload: {
            ...ref,
            id: documentId,
            documentId,
            url: item.url,
            title: outcome.document.title,
            wordCount: outcome.document.wordCount,
            ...(outcome.llm !== undefined ? { llm: llmSummary(outcome.llm) } : {}),
            ...(outcome.chunks !== undefined ? { chunks: outcome.chunks } : {}),
          },
        },
      ];
      if (change !== null) {
        events.push({
          type: 'document.changed',
          payload: {
            ...ref,
            documentId,
            url: item.url,
            version: change.version,
            previousContentHash: change.previousContentHash,
            contentHash: change.contentHash,
            changes: change.summary,
          },
        });
      }
      return {
        isRecorded: true,
        update: {
          ...released,
          state: 'succeeded',
          documentId,
          error: null,
          httpStatus: outcome.document.httpStatus,
          finishedAt: now,
        },
        events,
        counts: { running: -1, succeeded: 1 },
      };
    }
    case 'failed':
      return {
        isRecorded: true,
        update: {
          ...released,
          state: 'failed',
          error: { code: outcome.error.code, message: outcome.error.message },
          httpStatus: outcome.error.httpStatus ?? null,
          finishedAt: now,
        },
        events: [
          {
            type: 'item.failed',
            payload: { ...ref, url: item.url, code: outcome.error.code, message: outcome.error.message },
          },
        ],
        counts: { running: -1, failed: 1 },
      };
    case 'retry':
      return {
        isRecorded: true,
        update: {
          ...released,
          state: 'queued',
          runAfter: outcome.runAfter,
          // The claim counted this attempt; a release that does not count (our own rate limit,
          // shutdown) gives it back.
          attempts: outcome.countsAttempt ? item.attempts : Math.max(0, item.attempts - 1),
          ...(outcome.error
            ? {
                error: { code: outcome.error.code, message: outcome.error.message },
                httpStatus: outcome.error.httpStatus ?? null,
              }
            : {}),
        },
        events: [],
        counts: { running: -1, queued: 1 },
      };
    case 'cancelled':
      return {
        isRecorded: true,
        update: { ...released, state: 'cancelled', finishedAt: now },
        events: [],
        counts: { running: -1, cancelled: 1 },
      };
  }
}

/**
 * Is the attempt under `token` still the item's? Only a `running` item leased under that token: a
 * worker whose lease expired and was taken over, or whose item was reclaimed, must not overwrite
 * what the new holder does.
 */
export function holdsLease(item: Pick<AttemptedItem, 'state' | 'leaseToken'>, token: string): boolean {
  return item.state === 'running' && item.leaseToken === token;
}

/** A change of a job's per-state item counts. */
export type CountDelta = Partial<Record<ItemState, number>>;

/** The item whose attempt ends, as read under its lock. */
export interface AttemptedItem {
  jobId: string;
  seq: number;
  url: string;
  state: ItemState;
  /** The token of the item's current lease, null when it has none. */
  leaseToken: string | null;
  /** Attempts counted so far, this one included (the claim counted it). */
  attempts: number;
}

/** What the worker reported, under which lease, and what storage made of a success's document. */
export interface Attempt {
  /** The lease token the worker was handed with the item. */
  token: string;
  outcome: ItemOutcome;
  /** Set for a success: the stored document and what changed in it. */
  stored?: { documentId: string; change: DocumentChange | null } | undefined;
  now: number;
}

/** A document's main text changed when it was stored again (issue 9). */
export interface DocumentChange {
  version: number;
  previousContentHash: string;
  contentHash: string;
  summary: ChangeSummary;
}

/**
 * The fields of the item that change; an absent field is left as it is. The lease is always
 * released. `error: null` clears the item's error.
 */
export interface ItemUpdate {
  state: ItemState;
  updatedAt: number;
  finishedAt?: number;
  runAfter?: number;
  attempts?: number;
  documentId?: string;
  error?: { code: string; message: string } | null;
  httpStatus?: number | null;
}

/** What ending an attempt does: nothing (the lease was lost), or an update, its events and counts. */
export type ItemTransition =
  { isRecorded: false } | { isRecorded: true; update: ItemUpdate; events: DomainEvent[]; counts: CountDelta };

/** The model's part of `document.extracted`: tokens, and which parts failed (never the answer itself). */
function llmSummary(llm: ItemLlmResult): NonNullable<EventPayloads['document.extracted']['llm']> {
  return {
    tokensIn: llm.tokensIn,
    tokensOut: llm.tokensOut,
    ...(llm.json !== undefined ? { json: 'ok' as const } : {}),
    ...(llm.summary !== undefined ? { summary: 'ok' as const } : {}),
    ...(llm.errors !== undefined ? { failed: llm.errors.map((e) => e.part) } : {}),
  };
}
