import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExtractorPool } from '../../src/extract/index.js';

const pools: ExtractorPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

/** The niceness of every thread of this process, by thread id (field 19 of /proc/self/task/TID/stat). */
function threadNiceness(): Map<number, number> {
  const result = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    result.set(Number(tid), Number(fields[16]));
  }
  return result;
}

const page = Buffer.from(
  `<html><body><article><h1>Niceness</h1>${'<p>Enough words to be the main content of a page.</p>'.repeat(6)}</article></body></html>`,
);

describe.runIf(process.platform === 'linux')('extraction threads’ priority', () => {
  it('runs the extraction threads at the niceness asked for, and leaves the event loop’s thread alone', async () => {
    const before = threadNiceness();
    const pool = new ExtractorPool({ threads: 2, threadNiceness: 7 });
    pools.push(pool);
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        pool.run({ url: `https://example.com/${n}`, contentType: 'text/html', body: page }),
      ),
    );
    const after = threadNiceness();
    const lowered = [...after].filter(([tid, nice]) => nice === 7 && !before.has(tid));
    expect(lowered.length).toBeGreaterThanOrEqual(1);
    expect(lowered.length).toBeLessThanOrEqual(2);
    expect(after.get(process.pid)).toBe(before.get(process.pid));
  });

  it('keeps the normal priority with niceness 0, and refuses a niceness out of range', async () => {
    const before = threadNiceness();
    const base = before.get(process.pid)!;
    const pool = new ExtractorPool({ threads: 1, threadNiceness: 0 });
    pools.push(pool);
    await pool.run({ url: 'https://example.com/', contentType: 'text/html', body: page });
    const started = [...threadNiceness()].filter(([tid]) => !before.has(tid));
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.every(([, nice]) => nice === base)).toBe(true);
    expect(() => new ExtractorPool({ threadNiceness: 20 })).toThrow(/integer from 0 to 19, got `20`/);
  });
});
