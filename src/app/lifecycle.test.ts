import { describe, expect, it } from 'vitest';
import { Lifecycle, readinessOf } from './lifecycle.js';
import { partsOf, processRoleOf, ROLE_PARTS } from './roles.js';

describe('Lifecycle', () => {
  it('starts in order and stops in reverse, running every stop even if some throw, and reports them together', async () => {
    const calls: string[] = [];
    const lifecycle = new Lifecycle();
    for (const name of ['database', 'queue', 'worker pool', 'HTTP API']) {
      lifecycle.add({
        name,
        start: () => void calls.push(`start ${name}`),
        stop: () => {
          calls.push(`stop ${name}`);
          if (name === 'queue' || name === 'HTTP API') throw new Error(`${name} broke`);
        },
      });
    }
    lifecycle.add(undefined);
    await lifecycle.start();
    const error = await lifecycle.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(calls).toEqual([
      'start database',
      'start queue',
      'start worker pool',
      'start HTTP API',
      'stop HTTP API',
      'stop worker pool',
      'stop queue',
      'stop database',
    ]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      'Stopping the HTTP API failed: HTTP API broke',
      'Stopping the queue failed: queue broke',
    ]);
  });

  it('is idempotent: a second start or stop returns the first one', async () => {
    let stops = 0;
    const lifecycle = new Lifecycle();
    lifecycle.add({ name: 'pool', stop: () => void stops++ });
    expect(lifecycle.start()).toBe(lifecycle.start());
    expect(lifecycle.stop()).toBe(lifecycle.stop());
    await lifecycle.stop();
    expect(stops).toBe(1);
  });

  it('collects the readiness checks of its components and refuses two of one name', () => {
    const probe = (): Promise<void> => Promise.resolve();
    expect(
      Object.keys(
        readinessOf([
          { name: 'a', readiness: { database: probe } },
          undefined,
          { name: 'b', readiness: { queue: probe } },
        ]),
      ),
    ).toEqual(['database', 'queue']);
    expect(() =>
      readinessOf([
        { name: 'a', readiness: { queue: probe } },
        { name: 'b', readiness: { queue: probe } },
      ]),
    ).toThrow(/queue/);
  });
});

describe('the role table', () => {
  it('runs the API only in serve and api, and a browser only where pages are rendered', () => {
    expect(ROLE_PARTS.api).toEqual(['api']);
    expect(partsOf('serve').has('api')).toBe(true);
    expect(partsOf('worker').has('api')).toBe(false);
    expect(partsOf('worker').has('browser') || partsOf('worker').has('browser-at-start')).toBe(false);
    expect(partsOf('render-worker').has('browser-at-start')).toBe(true);
    expect(partsOf('cli').has('events')).toBe(false);
  });

  it('makes a worker with render set a render worker', () => {
    expect(processRoleOf('worker', { render: true })).toBe('render-worker');
    expect(processRoleOf('worker', { render: false })).toBe('worker');
    expect(processRoleOf('serve', { render: true })).toBe('serve');
  });
});
