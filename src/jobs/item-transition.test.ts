import { describe, expect, it } from 'vitest';
import { holdsLease, transitionItem, type AttemptedItem } from './item-transition.js';
import type { ItemOutcome } from './ports.js';
import type { ItemState, NewDocument } from './types.js';

const NOW = 1_700_000_000_000;
const TOKEN = 'lease-1';

function running(overrides: Partial<AttemptedItem> = {}): AttemptedItem {
  return {
    jobId: 'job-1',
    seq: 7,
    url: 'https://example.com/a',
    state: 'running',
    leaseToken: TOKEN,
    attempts: 2,
    ...overrides,
  };
}

const document: NewDocument = {
  finalUrl: 'https://example.com/a',
  canonicalUrl: null,
  mimeType: 'text/html',
  httpStatus: 200,
  title: 'A',
  byline: null,
  description: null,
  siteName: null,
  lang: 'en',
  publishedTime: null,
  text: 'Text of a',
  markdown: null,
  html: null,
  links: [],
  wordCount: 3,
  extractor: 'html-main',
  quality: {},
  metadata: {},
  fetchedAt: NOW,
};

const succeeded: ItemOutcome = { kind: 'succeeded', document };
const stored = { documentId: 'doc-1', change: null };

describe('transitionItem', () => {
  it('succeeds a running item: stores the document id, clears the error, and writes document.extracted', () => {
    const transition = transitionItem(running(), { token: TOKEN, outcome: succeeded, stored, now: NOW });
    expect(transition).toEqual({
      isRecorded: true,
      update: {
        state: 'succeeded',
        updatedAt: NOW,
        documentId: 'doc-1',
        error: null,
        httpStatus: 200,
        finishedAt: NOW,
      },
      events: [
        {
          type: 'document.extracted',
          payload: {
            jobId: 'job-1',
            seq: 7,
            id: 'doc-1',
            documentId: 'doc-1',
            url: 'https://example.com/a',
            title: 'A',
            wordCount: 3,
          },
        },
      ],
      counts: { running: -1, succeeded: 1 },
    });
  });

  it('writes document.changed after document.extracted when the text changed', () => {
    const summary = {
      oldWordCount: 2,
      newWordCount: 3,
      addedLines: 1,
      removedLines: 1,
      added: ['b'],
      removed: ['a'],
    };
    const change = { version: 2, previousContentHash: 'old', contentHash: 'new', summary };
    const transition = transitionItem(running(), {
      token: TOKEN,
      outcome: succeeded,
      stored: { documentId: 'doc-1', change },
      now: NOW,
    });
    if (!transition.isRecorded) throw new Error('expected a transition');
    expect(transition.events.map((e) => e.type)).toEqual(['document.extracted', 'document.changed']);
    expect(transition.events[1]?.payload).toEqual({
      jobId: 'job-1',
      seq: 7,
      documentId: 'doc-1',
      url: 'https://example.com/a',
      version: 2,
      previousContentHash: 'old',
      contentHash: 'new',
      changes: summary,
    });
  });

  it('refuses a success without its stored document', () => {
    expect(() => transitionItem(running(), { token: TOKEN, outcome: succeeded, now: NOW })).toThrow(
      TypeError,
    );
  });

  it('fails a running item with its error code and HTTP status, and writes item.failed', () => {
    const outcome: ItemOutcome = {
      kind: 'failed',
      error: { code: 'http_error', message: 'HTTP 404', httpStatus: 404 },
    };
    expect(transitionItem(running(), { token: TOKEN, outcome, now: NOW })).toEqual({
      isRecorded: true,
      update: {
        state: 'failed',
        updatedAt: NOW,
        error: { code: 'http_error', message: 'HTTP 404' },
        httpStatus: 404,
        finishedAt: NOW,
      },
      events: [
        {
          type: 'item.failed',
          payload: {
            jobId: 'job-1',
            seq: 7,
            url: 'https://example.com/a',
            code: 'http_error',
            message: 'HTTP 404',
          },
        },
      ],
      counts: { running: -1, failed: 1 },
    });
  });

  it('fails an item without an HTTP status with http_status null', () => {
    const outcome: ItemOutcome = { kind: 'failed', error: { code: 'timeout', message: 'Timed out' } };
    const transition = transitionItem(running(), { token: TOKEN, outcome, now: NOW });
    expect(transition.isRecorded && transition.update.httpStatus).toBeNull();
  });

  it('queues a retried item again at runAfter, keeping the counted attempt and recording the error', () => {
    const outcome: ItemOutcome = {
      kind: 'retry',
      error: { code: 'connection_error', message: 'ECONNRESET' },
      runAfter: NOW + 5000,
      countsAttempt: true,
    };
    expect(transitionItem(running(), { token: TOKEN, outcome, now: NOW })).toEqual({
      isRecorded: true,
      update: {
        state: 'queued',
        updatedAt: NOW,
        runAfter: NOW + 5000,
        attempts: 2,
        error: { code: 'connection_error', message: 'ECONNRESET' },
        httpStatus: null,
      },
      events: [],
      counts: { running: -1, queued: 1 },
    });
  });

  it('gives the attempt back on a release that does not count (rate limit, shutdown), never below 0, leaving the error as it was', () => {
    const outcome: ItemOutcome = { kind: 'retry', error: null, runAfter: NOW + 100, countsAttempt: false };
    const once = transitionItem(running({ attempts: 1 }), { token: TOKEN, outcome, now: NOW });
    expect(once).toEqual({
      isRecorded: true,
      update: { state: 'queued', updatedAt: NOW, runAfter: NOW + 100, attempts: 0 },
      events: [],
      counts: { running: -1, queued: 1 },
    });
    const never = transitionItem(running({ attempts: 0 }), { token: TOKEN, outcome, now: NOW });
    expect(never.isRecorded && never.update.attempts).toBe(0);
  });

  it('cancels a running item without an event', () => {
    expect(transitionItem(running(), { token: TOKEN, outcome: { kind: 'cancelled' }, now: NOW })).toEqual({
      isRecorded: true,
      update: { state: 'cancelled', updatedAt: NOW, finishedAt: NOW },
      events: [],
      counts: { running: -1, cancelled: 1 },
    });
  });

  it('records nothing for an item leased under another token (its lease was taken over)', () => {
    for (const outcome of [succeeded, { kind: 'cancelled' } as const]) {
      expect(
        transitionItem(running({ leaseToken: 'lease-2' }), { token: TOKEN, outcome, stored, now: NOW }),
      ).toEqual({ isRecorded: false });
    }
  });

  it.each<ItemState>(['queued', 'succeeded', 'failed', 'cancelled'])(
    'records nothing for a %s item: only running items end',
    (state) => {
      const transition = transitionItem(running({ state }), {
        token: TOKEN,
        outcome: { kind: 'failed', error: { code: 'x', message: 'y' } },
        now: NOW,
      });
      expect(transition).toEqual({ isRecorded: false });
    },
  );
});

describe('holdsLease', () => {
  it('holds only a running item under the same token', () => {
    expect(holdsLease({ state: 'running', leaseToken: TOKEN }, TOKEN)).toBe(true);
    expect(holdsLease({ state: 'running', leaseToken: null }, TOKEN)).toBe(false);
    expect(holdsLease({ state: 'running', leaseToken: 'other' }, TOKEN)).toBe(false);
    expect(holdsLease({ state: 'queued', leaseToken: TOKEN }, TOKEN)).toBe(false);
  });
});
