import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/lib/index.js';
import {
  ExtractionTimeoutError,
  ExtractorBusyError,
  ExtractorPool,
  UnsupportedContentTypeError,
} from '../../src/extract/index.js';

const pools: ExtractorPool[] = [];
function createPool(options: ConstructorParameters<typeof ExtractorPool>[0]): ExtractorPool {
  const pool = new ExtractorPool(options);
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

const page = (title: string): Uint8Array =>
  Buffer.from(
    `<html><head><title>${title}</title></head><body><article><h1>${title}</h1>${'<p>A paragraph long enough to count as real content for the extractor, with several words in it.</p>'.repeat(8)}</article></body></html>`,
  );

/** A page big enough that extracting it takes far longer than a few milliseconds. */
function hugePage(): Uint8Array {
  const block =
    '<div class="c"><p>Words and <a href="/x">links</a> and more words in a nested block of text.</p>';
  return Buffer.from(`<html><body>${block.repeat(40_000)}${'</div>'.repeat(40_000)}</body></html>`);
}

describe('ExtractorPool', () => {
  it('extracts documents in worker threads', async () => {
    const pool = createPool({ threads: 2 });
    const documents = await Promise.all(
      ['One', 'Two', 'Three'].map((title) =>
        pool.run({ url: `https://example.com/${title}`, contentType: 'text/html', body: page(title) }),
      ),
    );
    expect(documents.map((document) => document.title)).toEqual(['One', 'Two', 'Three']);
    expect(documents[0]!.text).toContain('A paragraph long enough');
    const stats = pool.stats();
    expect(stats.completed).toBe(3);
    expect(stats.threads).toBeGreaterThan(0);
    expect(stats.inFlight).toBe(0);
  });

  it('returns a task error as the same class and code, and keeps working', async () => {
    const pool = createPool({ threads: 1 });
    const failure = pool.run({
      url: 'https://example.com/logo',
      contentType: 'image/png',
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    });
    await expect(failure).rejects.toBeInstanceOf(UnsupportedContentTypeError);
    await expect(failure).rejects.toMatchObject({ code: 'unsupported_content_type', mimeType: 'image/png' });
    const document = await pool.run({
      url: 'https://example.com/ok',
      contentType: 'text/html',
      body: page('Still fine'),
    });
    expect(document.title).toBe('Still fine');
  });

  it('times out a pathological document, kills its thread and stays usable', async () => {
    // How long the page takes to the end on this machine, now: a timed-out thread left spinning
    // would hold the next document about that long. Relative, so a loaded machine does not fail it.
    const measuring = createPool({ threads: 1, timeoutMs: 120_000 });
    const measureStart = Date.now();
    await measuring.run({ url: 'https://example.com/huge', contentType: 'text/html', body: hugePage() });
    const wholeMs = Date.now() - measureStart;
    await measuring.stop();
    // And what a fresh thread costs before its first small document (the replacement pays it too).
    const cold = createPool({ threads: 1 });
    const coldStart = Date.now();
    await cold.run({ url: 'https://example.com/cold', contentType: 'text/html', body: page('Cold') });
    const coldMs = Date.now() - coldStart;
    await cold.stop();

    const pool = createPool({ threads: 1, timeoutMs: 100 });
    await expect(
      pool.run({ url: 'https://example.com/huge', contentType: 'text/html', body: hugePage() }),
    ).rejects.toBeInstanceOf(ExtractionTimeoutError);
    await expect(
      pool.run({ url: 'https://example.com/huge', contentType: 'text/html', body: hugePage() }),
    ).rejects.toMatchObject({ code: 'extraction_timeout' });
    // With one thread, this only finishes quickly if the timed-out thread is not still spinning.
    const afterStart = Date.now();
    const document = await pool.run(
      { url: 'https://example.com/after', contentType: 'text/html', body: page('After timeout') },
      { timeoutMs: 60_000 },
    );
    expect(document.title).toBe('After timeout');
    expect(Date.now() - afterStart).toBeLessThan(coldMs + wholeMs / 2);
  }, 180_000);

  it('rejects with AbortedError when the signal aborts', async () => {
    const pool = createPool({ threads: 1 });
    const controller = new AbortController();
    const running = pool.run(
      { url: 'https://example.com/huge', contentType: 'text/html', body: hugePage() },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 50);
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    await expect(
      pool.run(
        { url: 'https://example.com/x', contentType: 'text/html', body: page('x') },
        { signal: AbortSignal.abort() },
      ),
    ).rejects.toMatchObject({ code: 'aborted' });
    expect(
      (await pool.run({ url: 'https://example.com/y', contentType: 'text/html', body: page('y') })).title,
    ).toBe('y');
  });

  it('applies back-pressure when the queue is full', async () => {
    const pool = createPool({ threads: 1, maxQueue: 1, timeoutMs: 60_000 });
    const controller = new AbortController();
    const first = pool.run(
      { url: 'https://example.com/1', contentType: 'text/html', body: hugePage() },
      { signal: controller.signal },
    );
    const second = pool.run(
      { url: 'https://example.com/2', contentType: 'text/html', body: page('2') },
      { signal: controller.signal },
    );
    await expect(
      pool.run({ url: 'https://example.com/3', contentType: 'text/html', body: page('3') }),
    ).rejects.toBeInstanceOf(ExtractorBusyError);
    await expect(
      pool.run({ url: 'https://example.com/3', contentType: 'text/html', body: page('3') }),
    ).rejects.toMatchObject({ code: 'extractor_busy' });
    controller.abort();
    await Promise.allSettled([first, second]);
  });

  it('recycles its threads after a number of tasks without losing any', async () => {
    const pool = createPool({ threads: 1, recycleAfterTasks: 2 });
    const titles = ['a', 'b', 'c', 'd', 'e'];
    const documents = await Promise.all(
      titles.map((title) =>
        pool.run({ url: `https://example.com/${title}`, contentType: 'text/html', body: page(title) }),
      ),
    );
    expect(documents.map((document) => document.title)).toEqual(titles);
    expect(pool.stats().recycled).toBe(2);
  });

  it('keeps waiting documents in order outside the threads; one whose signal aborts leaves the line, the rest run', async () => {
    const pool = createPool({ threads: 1, maxQueue: 10 });
    const first = pool.run({ url: 'https://example.com/huge', contentType: 'text/html', body: hugePage() });
    const controller = new AbortController();
    const second = pool.run(
      { url: 'https://example.com/Two', contentType: 'text/html', body: page('Two') },
      { signal: controller.signal },
    );
    const third = pool.run({
      url: 'https://example.com/Three',
      contentType: 'text/html',
      body: page('Three'),
    });
    expect(pool.stats()).toMatchObject({ inFlight: 3, queued: 2 });
    controller.abort();
    await expect(second).rejects.toBeInstanceOf(AbortedError);
    expect(pool.stats()).toMatchObject({ inFlight: 2, queued: 1 });
    expect((await third).title).toBe('Three');
    expect((await first).url).toBe('https://example.com/huge');
    expect(pool.stats()).toMatchObject({ inFlight: 0, queued: 0, completed: 2 });
  });

  it('stops idempotently and refuses work afterwards', async () => {
    const pool = createPool({ threads: 1 });
    pool.start();
    const first = pool.stop();
    expect(pool.stop()).toBe(first);
    await first;
    await expect(
      pool.run({ url: 'https://example.com/', contentType: 'text/html', body: page('late') }),
    ).rejects.toBeInstanceOf(AbortedError);
  });

  it('validates its options', () => {
    expect(() => new ExtractorPool({ threads: 0 })).toThrow(TypeError);
    expect(() => new ExtractorPool({ timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});
