// Preloaded into the server (`BENCH_SERVER_NODE_ARGS="--import ./bench/event-loop-delay.mjs"`, with
// BENCH_EVENT_LOOP_FILE=/tmp/eld.json): measures the event loop's delay with
// perf_hooks.monitorEventLoopDelay. The first SIGUSR2 starts a window (the histogram is reset), the
// next one writes the window's percentiles, in milliseconds, as one JSON line to the file, and so on.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_EVENT_LOOP_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let isOpen = false;
  process.on('SIGUSR2', () => {
    if (isOpen) {
      const ms = (ns) => Number((ns / 1e6).toFixed(2));
      const row = {
        p50: ms(histogram.percentile(50)),
        p90: ms(histogram.percentile(90)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        count: histogram.count,
      };
      appendFileSync(file, `${JSON.stringify(row)}\n`);
    }
    histogram.reset();
    isOpen = !isOpen;
  });
}
