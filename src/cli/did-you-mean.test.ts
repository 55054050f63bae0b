import { describe, expect, it } from 'vitest';
import { closest } from './did-you-mean.js';

describe('closest (did you mean)', () => {
  const commands = ['serve', 'api', 'worker', 'extract', 'jobs', 'keys', 'migrate'];

  it('finds the command or flag a typo meant', () => {
    expect(closest('srve', commands)).toBe('serve');
    expect(closest('extarct', commands)).toBe('extract');
    expect(closest('--concurency', ['--concurrency', '--port'])).toBe('--concurrency');
  });

  it('offers nothing for a word that is not close to any', () => {
    expect(closest('deploy', commands)).toBeUndefined();
    expect(closest('x', ['--port'])).toBeUndefined();
  });
});
