// Scale scenario: a 1,000,000-URL job submitted as streamed text: time to accept and the server's
// peak RSS. The URLs point at one slow host and the server has one worker slot, so what is measured
// is accepting and storing the job, not running it.
import { Readable } from 'node:stream';
import { startCorpusServer } from './corpus-server.mjs';
import { peakRssMb } from './process-stats.mjs';
import { startServer } from './server.mjs';

const URLS = Number(process.env.BENCH_SCALE_URLS ?? 1_000_000);

export async function run() {
  const corpus = await startCorpusServer({ hosts: 1, latencyMs: 60_000, handler: () => ({ body: '' }) });
  const server = await startServer({ DISTILL_CONCURRENCY: '1' });
  try {
    const origin = corpus.origins[0];
    const rssBefore = peakRssMb(server.pid);
    // Generated lazily, so the client does not hold a million URLs either.
    async function* lines() {
      for (let i = 0; i < URLS; i += 1000) {
        let chunk = '';
        for (let j = i; j < Math.min(URLS, i + 1000); j++) chunk += `${origin}/scale/${j}\n`;
        yield chunk;
      }
    }
    const t0 = performance.now();
    const res = await fetch(`${server.url}/v1/jobs?maxAge=0`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Readable.toWeb(Readable.from(lines())),
      duplex: 'half',
    });
    const json = await res.json();
    const seconds = (performance.now() - t0) / 1000;
    return {
      rows: [
        { measure: `accept ${URLS} URLs streamed`, value: Number(seconds.toFixed(1)), unit: 's' },
        { measure: 'accept rate', value: Math.round(URLS / seconds), unit: 'URLs/s' },
        { measure: 'URLs accepted', value: json.submission?.accepted ?? null, unit: 'URLs' },
        { measure: 'server RSS before', value: Math.round(rssBefore), unit: 'MB' },
        { measure: 'server peak RSS', value: Math.round(peakRssMb(server.pid)), unit: 'MB' },
      ],
    };
  } finally {
    await server.stop();
    await corpus.close();
  }
}
