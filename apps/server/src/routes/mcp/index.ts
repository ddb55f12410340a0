import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { actorOf } from '../../plugins/auth.js';
import { type AuditActor, recordAuditEvent } from '../../services/audit/audit-log.js';
import { findUserByReference } from '../../services/mcp/acting-user.js';
import { loadMcpSdk } from '../../services/mcp/mcp-sdk.js';
import { createMcpToolServer, type ToolCallRecord } from '../../services/mcp/mcp-tool-server.js';
import type { McpToolPolicy } from '../../services/mcp/tool-catalog.js';
import type { User } from '../../services/users.js';

export interface McpRoutesOptions {
  /** `serverInfo` of the initialize answer. */
  name: string;
  version: string;
  policy: McpToolPolicy;
}

/** The request headers the transport reads; nothing else (the caller's credentials above all) goes in. */
const TRANSPORT_HEADERS = [
  'accept',
  'content-type',
  'mcp-protocol-version',
  'mcp-session-id',
  'last-event-id',
];

interface ActingUser {
  user: User;
  /** Who called, for the audit trail: the user, or the service key acting for them. */
  actor: AuditActor;
}

/**
 * The user the agent acts as. A user token: that user (`X-CFM-User` is ignored, a user never acts for
 * another). A service key (scope checked by `authenticateCaller`): the user `X-CFM-User` names, refused
 * before any JSON-RPC when it is missing or names nobody.
 */
async function actingUserOf(request: FastifyRequest): Promise<ActingUser> {
  const principal = request.principal;
  if (principal?.type !== 'service') {
    // authenticateCaller let a user token through, so the user is set.
    const user = request.user!;
    return { user, actor: actorOf(request) };
  }
  const header = request.headers['x-cfm-user'];
  const reference = typeof header === 'string' ? header.trim() : '';
  if (reference === '') throw new AppError('CFM_MCP_USER_REQUIRED');
  const user = await findUserByReference(request.server.db, reference);
  if (user === undefined) throw new AppError('CFM_MCP_USER_NOT_FOUND');
  return { user, actor: actorOf(request) };
}

/** The Fastify request as the web-standard `Request` the SDK transport takes (the body is passed parsed). */
function transportRequest(request: FastifyRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request(new URL(request.url, 'http://mcp.invalid'), { method: request.method, headers, signal });
}

/** Sends the transport's `Response` through Fastify, so the API's hooks (CORS, request id, logs) apply. */
async function sendResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    reply.header(name, value);
  });
  if (response.body === null) return reply.send();
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    return reply.send(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>));
  }
  return reply.send(await response.text());
}

/**
 * `POST /mcp`: the Model Context Protocol over Streamable HTTP, stateless (any server process answers any
 * request). The tools are the actions of the acting user's active connections. Authentication runs first
 * (`onRequest`): no JSON-RPC is read without a valid user token, or a service key with
 * `connections:actions` and `X-CFM-User`. `GET` (an SSE stream) and `DELETE` (end a session) are 405: a
 * stateless server has neither. Not in the OpenAPI document: it speaks JSON-RPC, not REST.
 */
export const mcpRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, options) => {
  const authenticate = app.authenticateCaller({ serviceScope: 'connections:actions', users: true });

  app.post('/', { onRequest: authenticate, schema: { hide: true } }, async (request, reply) => {
    const acting = await actingUserOf(request);
    const closed = new AbortController();
    reply.raw.once('close', () => closed.abort());
    const audit = (call: ToolCallRecord) =>
      void recordAuditEvent(app.db.db, {
        action: 'connection.action',
        outcome: call.statusCode < 400 ? 'success' : 'failure',
        actor: acting.actor,
        connectionId: call.connectionId,
        connectorKey: call.connectorKey,
        statusCode: call.statusCode,
        durationMs: call.durationMs,
        detail: {
          action: call.actionName,
          via: 'mcp',
          read_only: call.readOnly,
          ...(acting.actor.type === 'service' && { for_user: acting.user.id }),
        },
        requestId: request.id,
      });
    const { WebStandardStreamableHTTPServerTransport } = await loadMcpSdk();
    const server = await createMcpToolServer({
      name: options.name,
      version: options.version,
      context: app.engine.context,
      actions: app.engine.actions,
      policy: options.policy,
      userId: acting.user.id,
      onToolCall: audit,
      onUnexpectedError: (error) => request.log.error({ err: error }, 'MCP request failed'),
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    // The client going away aborts a running action (the SDK aborts its handlers when the server closes).
    closed.signal.addEventListener('abort', () => void server.close());
    await server.connect(transport);
    const gone = new Promise<undefined>((resolve) =>
      closed.signal.addEventListener('abort', () => resolve(undefined)),
    );
    const response = await Promise.race([
      transport.handleRequest(transportRequest(request, closed.signal), { parsedBody: request.body }),
      gone,
    ]);
    // Nobody is left to answer (a closed transport never settles the pending JSON answer).
    if (response === undefined) return reply;
    return sendResponse(reply, response);
  });

  app.route({
    method: ['GET', 'DELETE'],
    url: '/',
    onRequest: authenticate,
    schema: { hide: true },
    handler: async () => {
      throw new AppError(
        'CFM_METHOD_NOT_ALLOWED',
        'This MCP endpoint is stateless: send JSON-RPC messages with POST (there is no event stream to open and no session to end)',
        { headers: { allow: 'POST' } },
      );
    },
  });
};
