export { createMcpServer, MCP_SERVER_INFO } from './tools.js';
export { mcpHttpRoutes, refusedByRebindingCheck } from './mcp-http.js';
