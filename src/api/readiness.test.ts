import { describe, expect, it } from 'vitest';
import { createReadiness, ReadinessError } from './readiness.js';
import { describeStorageFailure, storageFailureOf } from './storage-errors.js';

const down = (error: Error) => () => Promise.reject(error);
const up = () => Promise.resolve();

describe('createReadiness', () => {
  it('runs one probe for calls that arrive while a run is under way, and a new one after', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const readiness = createReadiness({
      database: () => {
        runs++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const flood = Array.from({ length: 50 }, () => readiness());
    release();
    const reports = await Promise.all(flood);
    expect(runs).toBe(1);
    expect(reports.every((r) => r.isReady)).toBe(true);
    const next = readiness();
    release();
    await next;
    expect(runs).toBe(2);
  });

  it('is ready when every required check passes, and reports failing optional ones without becoming unready', async () => {
    const readiness = createReadiness({
      database: up,
      rabbitmq: {
        probe: down(new Error('ECONNREFUSED')),
        isRequired: false,
        describe: () => 'RabbitMQ is not reachable; events wait in the outbox',
      },
    });
    expect(await readiness()).toEqual({
      isReady: true,
      checks: {
        database: { ok: true },
        rabbitmq: {
          ok: false,
          message:
            'RabbitMQ is not reachable; events wait in the outbox (reported only: work is kept meanwhile, so the process stays ready)',
        },
      },
    });
  });

  it('is not ready when a required check fails; shows a ReadinessError message, hides any other cause', async () => {
    const causes: string[] = [];
    const readiness = createReadiness(
      {
        database: down(new ReadinessError('The disk holding the database has 12 KiB free')),
        queue: down(new Error('secret driver text')),
      },
      { onError: (name) => causes.push(name) },
    );
    expect(await readiness()).toEqual({
      isReady: false,
      checks: {
        database: { ok: false, message: 'The disk holding the database has 12 KiB free' },
        queue: { ok: false, message: 'queue is not reachable' },
      },
    });
    expect(causes.sort()).toEqual(['database', 'queue']);
  });

  it('counts a probe that does not answer in time as failed', async () => {
    const readiness = createReadiness({ queue: () => new Promise(() => undefined) }, { timeoutMs: 20 });
    expect(await readiness()).toEqual({
      isReady: false,
      checks: { queue: { ok: false, message: 'queue did not answer within 20 ms' } },
    });
  });
});

describe('storageFailureOf', () => {
  it.each([
    [{ code: 'SQLITE_FULL' }, 'full'],
    [{ code: 'SQLITE_READONLY' }, 'read_only'],
    [{ code: 'SQLITE_READONLY_DBMOVED' }, 'read_only'],
    [{ code: 'SQLITE_IOERR_WRITE' }, 'unavailable'],
    [{ code: 'SQLITE_BUSY' }, 'unavailable'],
    [{ code: '53100' }, 'full'],
    [{ code: '25006' }, 'read_only'],
    [{ code: '57P01' }, 'unavailable'],
    [{ code: 'ECONNREFUSED' }, 'unavailable'],
    [{ code: 'ER_OPTION_PREVENTS_STATEMENT', errno: 1290 }, 'read_only'],
    [{ code: 'ER_RECORD_FILE_FULL', errno: 1114 }, 'full'],
    [new Error('wrapped', { cause: Object.assign(new Error('disk'), { code: 'SQLITE_FULL' }) }), 'full'],
  ])('classifies %o as %s', (error, failure) => {
    expect(storageFailureOf(error)).toBe(failure);
  });

  it('leaves every other error alone (a constraint violation, a bug, a non-error)', () => {
    for (const error of [
      { code: 'SQLITE_CONSTRAINT_UNIQUE' },
      { code: '23505' },
      new TypeError('x'),
      'text',
      null,
      undefined,
    ]) {
      expect(storageFailureOf(error)).toBeUndefined();
    }
    expect(describeStorageFailure(undefined)).toMatch(/server log/);
  });
});
