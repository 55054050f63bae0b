// MCP scenario (issue 18): the round trip of one `tools/call` of `job_status`, from the SDK's own
// Client, over Streamable HTTP at /mcp of a `distill serve` and over stdio through `distill mcp`
// (which calls that server's REST API); the plain REST call it wraps is measured beside them.
// 300 calls each after 20 to warm up; p50, p95 and p99 in milliseconds.
//   npm run bench -- mcp
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startServer } from './server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CALLS = 300;
const WARMUP = 20;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function time(label, fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const f = (v) => +v.toFixed(2);
  return {
    transport: label,
    calls: CALLS,
    p50Ms: f(percentile(times, 50)),
    p95Ms: f(percentile(times, 95)),
    p99Ms: f(percentile(times, 99)),
  };
}

export async function run() {
  const server = await startServer();
  try {
    const submitted = await (
      await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ urls: ['http://127.0.0.1:9/never'] }),
      })
    ).json();
    const jobId = submitted.job.id;
    const args = { name: 'job_status', arguments: { jobId } };
    const rows = [];
    rows.push(
      await time('REST GET /v1/jobs/:id (fetch)', async () =>
        (await fetch(`${server.url}/v1/jobs/${jobId}`)).json(),
      ),
    );

    const http = new Client({ name: 'bench', version: '1.0.0' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
    rows.push(
      await time('MCP Streamable HTTP /mcp', async () => {
        const result = await http.callTool(args);
        if (result.isError) throw new Error(JSON.stringify(result.content));
      }),
    );
    await http.close();

    const stdio = new Client({ name: 'bench', version: '1.0.0' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(root, 'bin/distill.js'), 'mcp'],
        env: { ...process.env, DISTILL_SERVER: server.url },
        stderr: 'inherit',
      }),
    );
    rows.push(
      await time('MCP stdio (distill mcp → REST)', async () => {
        const result = await stdio.callTool(args);
        if (result.isError) throw new Error(JSON.stringify(result.content));
      }),
    );
    await stdio.close();
    return {
      rows,
      summary: `tools/call job_status, ${CALLS} calls per transport, one client, server and client on one machine`,
    };
  } finally {
    await server.stop();
  }
}
