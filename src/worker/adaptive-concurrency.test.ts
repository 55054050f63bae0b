import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, type LoadSignals } from './adaptive-concurrency.js';

function controller(
  signals: Partial<LoadSignals> & { backlog?: number; rss?: number } = {},
  options: { min?: number; max?: number; initial?: number } = {},
) {
  const state = { backlog: signals.backlog ?? 0, rss: signals.rss ?? 100 * 1024 * 1024 };
  const adaptive = new AdaptiveConcurrency({
    min: options.min ?? 8,
    max: options.max ?? 128,
    initial: options.initial ?? 16,
    maxRssBytes: 1024 * 1024 * 1024,
    signals: {
      extractionBacklog: () => state.backlog,
      extractionThreads: () => 2,
      rssBytes: () => state.rss,
    },
  });
  return { adaptive, state };
}

describe('AdaptiveConcurrency', () => {
  it('grows while every slot is busy and extraction keeps up, up to the ceiling', () => {
    const { adaptive } = controller();
    const levels: number[] = [];
    for (let i = 0; i < 12; i++) {
      adaptive.noteSaturated();
      levels.push(adaptive.step(0).level);
    }
    expect(levels.slice(0, 4)).toEqual([20, 25, 31, 39]);
    expect(levels.at(-1)).toBe(128);
    expect(adaptive.reason).toBe('saturated');
  });

  it('holds when slots are idle: the queue, not the level, is the limit', () => {
    const { adaptive } = controller();
    expect(adaptive.step(0)).toEqual({ level: 16, reason: 'start', isChanged: false });
  });

  it('comes down when documents pile up for the extraction threads, never under the floor', () => {
    const { adaptive, state } = controller({}, { initial: 64 });
    state.backlog = 5; // more than 2 per thread
    adaptive.noteSaturated();
    expect(adaptive.step(0)).toEqual({ level: 57, reason: 'extraction_backlog', isChanged: true });
    for (let i = 0; i < 40; i++) adaptive.step(0);
    expect(adaptive.level).toBe(8);
    state.backlog = 0;
    adaptive.noteSaturated();
    expect(adaptive.step(0)).toMatchObject({ level: 12, reason: 'saturated' });
  });

  it('comes down by a quarter when the event loop lags or memory is over its bound', () => {
    const { adaptive, state } = controller({}, { initial: 100 });
    adaptive.noteSaturated();
    expect(adaptive.step(250)).toMatchObject({ level: 75, reason: 'event_loop_delay' });
    state.rss = 2 * 1024 * 1024 * 1024;
    expect(adaptive.step(0)).toMatchObject({ level: 56, reason: 'memory' });
  });

  it('refuses bounds that cannot hold', () => {
    expect(
      () =>
        new AdaptiveConcurrency({
          min: 10,
          max: 5,
          signals: { extractionBacklog: () => 0, extractionThreads: () => 1 },
        }),
    ).toThrow(/`max` \(5\) to be at least `min` \(10\)/);
  });
});
