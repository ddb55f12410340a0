import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ActionRunner } from '../actions/action-runner.js';
import type { EngineContext } from '../engine-context.js';
import { ServiceError } from '../service-error.js';
import { loadMcpSdk } from './mcp-sdk.js';
import { type CatalogTool, loadUserTools, type McpToolPolicy } from './tool-catalog.js';
import { errorResult, successResult, toolFailureMessage, unusableMessage } from './tool-results.js';

export { MCP_PROTOCOL_VERSION } from './mcp-sdk.js';

/** One `tools/call` that reached a connection, for the audit trail. */
export interface ToolCallRecord {
  connectionId: string;
  connectorKey: string;
  actionName: string;
  readOnly: boolean;
  /** The status the REST route would have answered (200, 400, 409, 429, 502…). */
  statusCode: number;
  durationMs: number;
}

export interface McpToolServerOptions {
  /** `serverInfo` of the initialize answer. */
  name: string;
  version: string;
  context: EngineContext;
  actions: Pick<ActionRunner, 'run'>;
  policy: McpToolPolicy;
  /** The user the agent acts as: only their connections exist for this server. */
  userId: string;
  onToolCall?: (record: ToolCallRecord) => void;
  /** A failure that is not a `ServiceError` (a bug): the model gets one generic sentence, the log the rest. */
  onUnexpectedError?: (error: unknown) => void;
}

const INSTRUCTIONS =
  "Each tool runs one action on one of the user's connected accounts (Slack, Jira…), named " +
  '<connector>_<action>; a tool whose annotations say readOnlyHint: false changes data at that service. ' +
  'A tool error says what to do next (retry later, fix the arguments, or ask the user to reconnect).';

/** Long or odd names are not repeated whole in an error. */
function shown(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

/**
 * An MCP server (the SDK's low-level `Server`) whose tools are the actions of one user's active
 * connections. Built per HTTP request (stateless): the tool list is read from the database each time, so
 * it follows connections as they are connected, expire or are revoked, in every server process. The
 * first call loads the SDK.
 */
export async function createMcpToolServer(options: McpToolServerOptions): Promise<Server> {
  const { Server, CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } = await loadMcpSdk();
  const server = new Server(
    { name: options.name, version: options.version },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS },
  );
  const userTools = () => loadUserTools(options.context, options.userId, options.policy);

  // The SDK answers a thrown error with its message: a database failure must not reach the client as text.
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof McpError) throw error;
      options.onUnexpectedError?.(error);
      throw new McpError(ErrorCode.InternalError, 'Internal error: the tools could not be read, retry later');
    }
  };

  server.setRequestHandler(ListToolsRequestSchema, () =>
    guarded(async () => ({ tools: (await userTools()).tools.map((entry) => entry.tool) })),
  );

  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    guarded(async (): Promise<CallToolResult> => {
      const { name } = request.params;
      const tools = await userTools();
      const tool = tools.find(name);
      if (tool === undefined) {
        const unusable = tools.unusable(name);
        if (unusable === undefined) {
          // A protocol error, as the specification has it for unknown tools (the SDK's client throws it).
          throw new McpError(
            ErrorCode.InvalidParams,
            `Unknown tool ${shown(name)}: list the tools for the ones available`,
          );
        }
        options.onToolCall?.({
          connectionId: unusable.connectionId,
          connectorKey: unusable.connectorKey,
          actionName: unusable.actionName,
          readOnly: unusable.readOnly,
          statusCode: 409,
          durationMs: 0,
        });
        return errorResult(unusableMessage(unusable.connectorName, unusable.status));
      }
      return runTool(options, tool, request.params.arguments ?? {}, extra.signal);
    }),
  );

  return server;
}

async function runTool(
  options: McpToolServerOptions,
  tool: CatalogTool,
  input: Record<string, unknown>,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const started = performance.now();
  const record = (statusCode: number) =>
    options.onToolCall?.({
      connectionId: tool.connectionId,
      connectorKey: tool.connectorKey,
      actionName: tool.actionName,
      readOnly: tool.action.readOnly,
      statusCode,
      durationMs: Math.round(performance.now() - started),
    });
  try {
    const result = await options.actions.run({
      caller: { type: 'user', userId: options.userId },
      connectionId: tool.connectionId,
      actionName: tool.actionName,
      input,
      signal,
    });
    record(200);
    return successResult(result.data, tool.wrapsOutput);
  } catch (error) {
    if (ServiceError.is(error)) {
      record(error.statusCode);
    } else {
      record(500);
      options.onUnexpectedError?.(error);
    }
    return errorResult(toolFailureMessage(tool.connectorName, error));
  }
}
