import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../api/index.js';
import { DistillClient } from '../client/index.js';
import type { Config } from '../config/index.js';

export const MCP_USAGE = `distill mcp [--server URL] [--api-key KEY]

An MCP server on stdin/stdout for agents (Claude Desktop, Cursor, any MCP client). Its tools call
the distill API at --server (DISTILL_SERVER) with --api-key (DISTILL_API_KEY): extract_url,
submit_batch, job_status, job_results, get_document, search_documents. Nothing but MCP messages
is written to stdout. See docs/mcp.md.`;

/**
 * `distill mcp`: the MCP server over stdio, as a client of a running distill (local or remote)
 * through the typed client. Runs until the client closes stdin.
 */
export async function runMcp(config: Config): Promise<number> {
  const client = new DistillClient({
    baseUrl: config.server,
    ...(config.apiKey !== '' ? { apiKey: config.apiKey } : {}),
  });
  const server = createMcpServer(client);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
  return 0;
}
