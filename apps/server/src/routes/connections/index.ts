import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { actorOf } from '../../plugins/auth.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import {
  type ConnectionsContext,
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  updateConnectionConfig,
} from '../../services/connections.js';
import {
  getAnyUsersConnection,
  listAnyUsersConnections,
} from '../../services/service-keys/connections-read.js';
import { keptJson } from '../kept-json.js';
import {
  ConnectionIdParams,
  CreateConnectionBody,
  ListConnectionsQuery,
  ListedConnection,
  ListedConnections,
  UpdateConnectionBody,
} from './schemas.js';
import { testConnectionRoute } from './test-connection.js';

const READ_401 =
  'No valid user token or service key (`CFM_AUTH_REQUIRED`, `CFM_TOKEN_INVALID`, `CFM_TOKEN_EXPIRED`, `CFM_SERVICE_KEY_INVALID`, `CFM_SERVICE_KEY_REVOKED`, `CFM_SERVICE_KEY_EXPIRED`).';
const READ_403 =
  'A service key without `connections:read` (`CFM_SCOPE_MISSING`), or a user token sending `user` (`CFM_FORBIDDEN`).';

/**
 * `/api/connections`: the caller's own connections (another user's are always 404). Registered under a
 * prefix. The two reads also answer service keys with `connections:read`, for every user's connections.
 */
export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const context = (): ConnectionsContext => ({
    database: app.db,
    vault: app.vault,
    registry: app.connectors,
  });
  // Authenticate before the body is read and validated: an anonymous caller learns nothing of the schema.
  app.addHook('onRequest', app.authenticate);
  // A user's page is the same object while the database is unchanged (SQLite): its JSON is kept with it.
  const sendPage = keptJson();

  app.get(
    '/',
    {
      config: { cachedUser: true, serviceScope: 'connections:read' },
      schema: {
        operationId: 'listConnections',
        tags: ['connections'],
        summary: 'Your connections, newest first, filtered by connector key and status',
        description:
          "With a service key holding `connections:read`: every user's connections, each with its `user`, narrowed to one user with `user=<email or sub>`.",
        security: BEARER_SECURITY,
        querystring: ListConnectionsQuery,
        response: {
          200: ListedConnections,
          ...errorResponses(400, 500, 503),
          401: Type.With(errorResponses(401)[401], { description: READ_401 }),
          403: Type.With(errorResponses(403)[403], { description: READ_403 }),
        },
      },
    },
    async (request, reply) => {
      if (request.principal?.type === 'service') return listAnyUsersConnections(app.db, request.query);
      if (request.query.user !== undefined) {
        throw new AppError(
          'CFM_FORBIDDEN',
          'The user filter is for service keys with the scope "connections:read": a user token lists its own connections',
        );
      }
      return sendPage(reply, await listConnections(app.db, request.user!.id, request.query));
    },
  );

  app.post(
    '/',
    {
      schema: {
        operationId: 'createConnection',
        tags: ['connections'],
        summary:
          'Create a pending connection (with API-key or basic credentials for connectors that take them)',
        security: BEARER_SECURITY,
        body: CreateConnectionBody,
        response: {
          201: Type.With(ListedConnection, { description: 'The created connection.' }),
          ...errorResponses(400, 401, 404, 409, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const connection = await createConnection(context(), request.user!.id, request.body);
      await recordAuditEvent(app.db.db, {
        action: 'connection.create',
        outcome: 'success',
        actor: actorOf(request),
        connectionId: connection.id,
        connectorKey: connection.connector_key,
        statusCode: 201,
        // `sealed`: API-key or basic credentials were stored with it (a key named after credentials would be dropped).
        detail: { status: connection.status, sealed: connection.has_credentials },
        requestId: request.id,
      });
      return reply.code(201).send(connection);
    },
  );

  app.get(
    '/:id',
    {
      config: { cachedUser: true, serviceScope: 'connections:read' },
      schema: {
        operationId: 'getConnection',
        tags: ['connections'],
        summary: 'One of your connections',
        description: "With a service key holding `connections:read`: any user's connection, with its `user`.",
        security: BEARER_SECURITY,
        params: ConnectionIdParams,
        response: {
          200: Type.With(ListedConnection, { description: 'The connection.' }),
          ...errorResponses(400, 404, 500, 503),
          401: Type.With(errorResponses(401)[401], { description: READ_401 }),
          403: Type.With(errorResponses(403)[403], {
            description: 'A service key without `connections:read` (`CFM_SCOPE_MISSING`).',
          }),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (request.principal?.type !== 'service') return getConnection(app.db, request.user!.id, id);
      const connection = await getAnyUsersConnection(app.db, id);
      if (connection === undefined)
        throw new AppError('CFM_CONNECTION_NOT_FOUND', `Connection "${id}" not found`);
      return connection;
    },
  );

  app.put(
    '/:id',
    {
      schema: {
        operationId: 'updateConnection',
        tags: ['connections'],
        summary: "Replace a connection's config_data",
        security: BEARER_SECURITY,
        params: ConnectionIdParams,
        body: UpdateConnectionBody,
        response: {
          200: Type.With(ListedConnection, { description: 'The connection with its new config_data.' }),
          ...errorResponses(400, 401, 404, 409, 500, 503),
        },
      },
    },
    async (request) =>
      updateConnectionConfig(context(), request.user!.id, request.params.id, request.body.config_data),
  );

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteConnection',
        tags: ['connections'],
        summary: 'Delete a connection and its stored credentials',
        security: BEARER_SECURITY,
        params: ConnectionIdParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 404, 500, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Read first for the audit trail's connector key (and the same 404 for another user's connection).
      const connection = await getConnection(app.db, request.user!.id, id);
      await deleteConnection(app.db, request.user!.id, id);
      await recordAuditEvent(app.db.db, {
        action: 'connection.delete',
        outcome: 'success',
        actor: actorOf(request),
        connectionId: id,
        connectorKey: connection.connector_key,
        statusCode: 204,
        requestId: request.id,
      });
      return reply.code(204).send(null);
    },
  );

  await app.register(testConnectionRoute);
};
