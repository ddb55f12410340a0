import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type * as McpTypes from '@modelcontextprotocol/sdk/types.js';

/**
 * The newest MCP revision this server speaks (older ones are negotiated at `initialize`), for `GET /api`:
 * the SDK's `LATEST_PROTOCOL_VERSION`, written out so that answering `GET /api` does not load the SDK.
 * A test keeps the two equal.
 */
export const MCP_PROTOCOL_VERSION = '2025-11-25';

/** What the server uses of the MCP SDK. */
export interface McpSdk {
  Server: typeof Server;
  WebStandardStreamableHTTPServerTransport: typeof WebStandardStreamableHTTPServerTransport;
  CallToolRequestSchema: typeof McpTypes.CallToolRequestSchema;
  ListToolsRequestSchema: typeof McpTypes.ListToolsRequestSchema;
  ErrorCode: typeof McpTypes.ErrorCode;
  McpError: typeof McpTypes.McpError;
}

let loading: Promise<McpSdk> | undefined;

/**
 * The SDK, imported by the first MCP request rather than at start: with zod under it, it is a few
 * hundred modules and megabytes that a server nobody points an agent at never needs. Concurrent first
 * requests share one import; a failed import is tried again by the next request.
 */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(
    ([server, transport, types]) => ({
      Server: server.Server,
      WebStandardStreamableHTTPServerTransport: transport.WebStandardStreamableHTTPServerTransport,
      CallToolRequestSchema: types.CallToolRequestSchema,
      ListToolsRequestSchema: types.ListToolsRequestSchema,
      ErrorCode: types.ErrorCode,
      McpError: types.McpError,
    }),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
