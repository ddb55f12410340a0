import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../plugins/auth.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import { freshToken } from '../../services/connection-use/fresh-token.js';
import type { ConnectionCaller } from '../../services/connection-use/usable-connection.js';
import type { ProxyMethod } from '../../services/proxy/connection-proxy.js';
import { ServiceError } from '../../services/service-error.js';
import {
  ActionBody,
  ActionParams,
  ActionResult,
  ConnectionParams,
  FreshToken,
  ProviderAnswer,
  ProxyParams,
  useError,
} from './schemas.js';

const NOT_USABLE =
  'The connection expired (`CFM_CONNECTION_EXPIRED`: the user must reconnect; also when a refresh is refused), is not active or has no credentials (`CFM_CONNECTION_NOT_READY`), or its connector is not loaded or disabled.';
const NOT_FOUND = 'Unknown connection, or (user token) not one of yours (`CFM_CONNECTION_NOT_FOUND`).';
const AUTH =
  'No valid user token or service key (`CFM_AUTH_REQUIRED`, `CFM_TOKEN_INVALID`, `CFM_TOKEN_EXPIRED`, `CFM_SERVICE_KEY_INVALID`, `CFM_SERVICE_KEY_REVOKED`, `CFM_SERVICE_KEY_EXPIRED`).';

/** Who the request acts as, for the services: a user (own connections only) or a service key (any). */
function callerOf(request: FastifyRequest): ConnectionCaller {
  const principal = request.principal;
  if (principal?.type === 'service') return { type: 'service', serviceKeyId: principal.serviceKey.id };
  return { type: 'user', userId: request.user!.id };
}

/**
 * Records one use of a connection in `audit_events` when called with the outcome: who, which connection,
 * the status and how long it took, plus `detail` (never a body, a token or a query string).
 */
function useRecorder(request: FastifyRequest, action: string, connectionId: string) {
  const started = performance.now();
  return (statusCode: number, connectorKey: string | null, detail?: Record<string, unknown>) =>
    void recordAuditEvent(request.server.db.db, {
      action,
      outcome: statusCode < 400 ? 'success' : 'failure',
      actor: actorOf(request),
      connectionId,
      connectorKey,
      statusCode,
      durationMs: Math.round(performance.now() - started),
      ...(detail !== undefined && { detail }),
      requestId: request.id,
    });
}

/** Aborted when the caller goes away before its answer is complete: the provider call is dropped too. */
function abortedWithCaller(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The path after `/proxy/` exactly as sent (percent-encoding kept), and the raw query. */
function rawProxyTarget(url: string): { path: string; query: string } {
  const queryAt = url.indexOf('?');
  const pathPart = queryAt === -1 ? url : url.slice(0, queryAt);
  const marker = pathPart.indexOf('/proxy/');
  return {
    path: marker === -1 ? '' : pathPart.slice(marker + '/proxy/'.length),
    query: queryAt === -1 ? '' : url.slice(queryAt + 1),
  };
}

const PROXY_METHODS: ProxyMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Using a connection: the authenticated proxy to the provider API, fresh tokens for back-end services and
 * the connectors' typed actions. Registered under `/api/connections`, beside the connection routes.
 * Callers: a user token (own connections; proxy and actions only) or a service key with the route's scope.
 */
export const connectionUseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { proxy, actions } = app.engine;

  // The proxy forwards bodies as they are (any type, streamed): no parsing, no JSON limit of ours.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    for (const method of PROXY_METHODS) {
      scope.route({
        method,
        url: '/:id/proxy/*',
        // The proxy counts bytes itself (PROXY_BODY_LIMIT_BYTES) while it streams; Fastify's limit is for parsed bodies.
        bodyLimit: proxy.settings.bodyLimitBytes,
        onRequest: app.authenticateCaller({ serviceScope: 'connections:proxy', users: true }),
        schema: {
          operationId: `proxyConnection${method[0]}${method.slice(1).toLowerCase()}`,
          tags: ['connections'],
          summary: `${method} on the provider API with the connection's credentials`,
          description:
            "Sends the request to the connector's API base URL + path + query, with your method, body and content headers and the connection's fresh credentials (your `Authorization`, `Cookie`, `Host`, `X-Forwarded-*` and `Proxy-*` are never forwarded). A provider 401 costs one token refresh and one retry; a 429/503 whose `Retry-After` fits the cap is retried, a longer one is passed back. User tokens: own connections. Service keys: scope `connections:proxy`.",
          security: BEARER_SECURITY,
          params: ProxyParams,
          response: {
            '2xx': ProviderAnswer,
            '4xx': ProviderAnswer,
            ...errorResponses(500, 503),
            400: useError(
              'The path is refused (`CFM_PROXY_PATH_INVALID`, nothing sent), the connector has no API (`CFM_PROXY_NOT_SUPPORTED`), or the provider answered 400 (its body as it is).',
            ),
            401: useError(`${AUTH} A provider 401 after the retry is passed back as it is.`),
            403: useError(
              "A service key without `connections:proxy` (`CFM_SCOPE_MISSING`), or the provider's own 403.",
            ),
            404: useError(NOT_FOUND),
            409: useError(NOT_USABLE),
            413: useError('The request body is larger than the proxy limit (`CFM_PAYLOAD_TOO_LARGE`).'),
            502: useError('The provider could not be reached (`CFM_PROVIDER_UNREACHABLE`), or its own 502.'),
            504: useError('The provider did not answer in time (`CFM_PROVIDER_TIMEOUT`), or its own 504.'),
          },
        },
        handler: async (request, reply) => {
          const target = rawProxyTarget(request.raw.url ?? '');
          const input = {
            caller: callerOf(request),
            connectionId: (request.params as { id: string }).id,
            method,
            rawPath: target.path,
            rawQuery: target.query,
            headers: request.headers,
            body: request.body as Readable | undefined,
            signal: abortedWithCaller(reply),
          };
          const record = useRecorder(request, 'connection.proxy', input.connectionId);
          // The path without the query (which may hold anything).
          const audit = (statusCode: number, connectorKey: string | null) =>
            record(statusCode, connectorKey, { method, path: `/${target.path}` });
          let usable: Awaited<ReturnType<typeof proxy.prepare>> | undefined;
          try {
            usable = await proxy.prepare(input);
            const answer = await proxy.forward(input, usable);
            audit(answer.status, answer.connectorKey);
            return reply.code(answer.status).headers(answer.headers).send(answer.body);
          } catch (error) {
            if (ServiceError.is(error)) audit(error.statusCode, usable?.connector.key ?? null);
            throw error;
          }
        },
      });
    }
  });

  app.get(
    '/:id/token',
    {
      onRequest: app.authenticateCaller({ serviceScope: 'connections:token', users: false }),
      schema: {
        operationId: 'getConnectionToken',
        tags: ['connections'],
        summary: 'A fresh access token of the connection, for a back-end service (never for a browser)',
        description:
          'Service keys with scope `connections:token` only: a user token gets 403, since a provider token never goes to a browser. The token is refreshed first when it is about to expire. Only OAuth 2 connections have one (`CFM_TOKEN_NOT_AVAILABLE` otherwise).',
        security: BEARER_SECURITY,
        params: ConnectionParams,
        response: {
          200: FreshToken,
          ...errorResponses(400, 500),
          401: useError(AUTH),
          403: useError(
            'A user token (`CFM_FORBIDDEN`: tokens go to back-end services only) or a service key without `connections:token` (`CFM_SCOPE_MISSING`).',
          ),
          404: useError(NOT_FOUND),
          409: useError(
            `${NOT_USABLE} Or the connection holds no OAuth token (\`CFM_TOKEN_NOT_AVAILABLE\`).`,
          ),
          503: useError(
            'The refresh failed for now (`CFM_TOKEN_REFRESH_FAILED`, with `Retry-After`), or the database is unavailable.',
          ),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
      const { id } = request.params;
      const audit = useRecorder(request, 'connection.token', id);
      try {
        const token = await freshToken(app.engine.context, app.engine.tokenManager, callerOf(request), id);
        audit(200, token.connector_key);
        return token;
      } catch (error) {
        if (ServiceError.is(error)) audit(error.statusCode, null);
        throw error;
      }
    },
  );

  app.post(
    '/:id/actions/:name',
    {
      onRequest: app.authenticateCaller({ serviceScope: 'connections:actions', users: true }),
      schema: {
        operationId: 'runConnectionAction',
        tags: ['connections'],
        summary: "Run one of the connector's typed actions on the connection",
        description:
          "The body is checked against the action's `input_schema` (every bad field named), then the action calls the provider with the connection's fresh credentials and answers `{data}`. Provider failures map to statuses: rate limit → 429 with `Retry-After`, provider or network failure → 502, a refused or expired grant → 409, a refused input → 400. User tokens: own connections. Service keys: scope `connections:actions`.",
        security: BEARER_SECURITY,
        params: ActionParams,
        body: ActionBody,
        response: {
          200: ActionResult,
          ...errorResponses(500, 503),
          400: useError(
            "The input does not match the action's schema (`CFM_VALIDATION`, `details` names every field), or the provider refused it (`CFM_ACTION_INVALID`).",
          ),
          401: useError(AUTH),
          403: useError(
            'A service key without `connections:actions` (`CFM_SCOPE_MISSING`), or the provider refused for lack of a permission (`CFM_PROVIDER_FORBIDDEN`).',
          ),
          404: useError(`${NOT_FOUND} Or no such action (\`CFM_ACTION_NOT_FOUND\`).`),
          409: useError(NOT_USABLE),
          429: useError('The provider is rate limiting (`CFM_PROVIDER_RATE_LIMITED`, with `Retry-After`).'),
          502: useError(
            'The provider failed (`CFM_PROVIDER_ERROR`) or could not be reached (`CFM_PROVIDER_UNREACHABLE`).',
          ),
          504: useError('The provider did not answer in time (`CFM_PROVIDER_TIMEOUT`).'),
        },
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      const record = useRecorder(request, 'connection.action', id);
      const audit = (statusCode: number, connectorKey: string | null, readOnly: boolean | null) =>
        record(statusCode, connectorKey, {
          action: name,
          via: 'api',
          ...(readOnly !== null && { read_only: readOnly }),
        });
      try {
        const result = await actions.run({
          caller: callerOf(request),
          connectionId: id,
          actionName: name,
          input: request.body ?? {},
          signal: abortedWithCaller(reply),
        });
        audit(200, result.connectorKey, result.action.readOnly);
        return { data: result.data };
      } catch (error) {
        if (ServiceError.is(error)) audit(error.statusCode, null, null);
        throw error;
      }
    },
  );
};
