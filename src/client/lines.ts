// Line reading for the client's streamed answers and streamed request bodies.

/** The lines of a response body (without their `\n` or `\r\n`), decoded as UTF-8. */
export async function* readLines(response: Response): AsyncGenerator<string> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      let newline = buffer.indexOf('\n');
      while (newline !== -1) {
        yield buffer.slice(start, newline).replace(/\r$/, '');
        start = newline + 1;
        newline = buffer.indexOf('\n', start);
      }
      buffer = buffer.slice(start);
    }
    buffer += decoder.decode();
    if (buffer !== '') yield buffer;
  } finally {
    // Stopping early (a `break`, `completed`) closes the connection instead of leaving it open.
    await reader.cancel().catch(() => undefined);
  }
}

export function toAsyncIterator(values: AsyncIterable<string> | Iterable<string>): AsyncIterator<string> {
  if (Symbol.asyncIterator in values) return values[Symbol.asyncIterator]();
  const iterator = values[Symbol.iterator]();
  return {
    next: () => Promise.resolve(iterator.next()),
    return: () => Promise.resolve(iterator.return?.() ?? { done: true as const, value: undefined }),
  };
}
