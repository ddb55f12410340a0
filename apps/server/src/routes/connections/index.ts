import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import {
  type ConnectionsContext,
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  updateConnectionConfig,
} from '../../services/connections.js';
import {
  ConnectionIdParams,
  ConnectionList,
  ConnectionResponse,
  CreateConnectionBody,
  ListConnectionsQuery,
  UpdateConnectionBody,
} from './schemas.js';
import { testConnectionRoute } from './test-connection.js';

/** `/api/connections`: the caller's own connections (another user's are always 404). Registered under a prefix. */
export const connectionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const context = (): ConnectionsContext => ({
    database: app.db,
    vault: app.vault,
    registry: app.connectors,
  });
  app.addHook('preHandler', app.authenticate);

  app.get(
    '/',
    {
      config: { cachedUser: true },
      schema: {
        operationId: 'listConnections',
        tags: ['connections'],
        summary: 'Your connections, newest first, filtered by connector key and status',
        security: BEARER_SECURITY,
        querystring: ListConnectionsQuery,
        response: { 200: ConnectionList, ...errorResponses(400, 401, 500, 503) },
      },
    },
    async (request) => listConnections(app.db, request.user!.id, request.query),
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
          201: Type.With(ConnectionResponse, { description: 'The created connection.' }),
          ...errorResponses(400, 401, 404, 409, 500, 503),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createConnection(context(), request.user!.id, request.body)),
  );

  app.get(
    '/:id',
    {
      config: { cachedUser: true },
      schema: {
        operationId: 'getConnection',
        tags: ['connections'],
        summary: 'One of your connections',
        security: BEARER_SECURITY,
        params: ConnectionIdParams,
        response: {
          200: Type.With(ConnectionResponse, { description: 'The connection.' }),
          ...errorResponses(400, 401, 404, 500, 503),
        },
      },
    },
    async (request) => getConnection(app.db, request.user!.id, request.params.id),
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
          200: Type.With(ConnectionResponse, { description: 'The connection with its new config_data.' }),
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
      await deleteConnection(app.db, request.user!.id, request.params.id);
      return reply.code(204).send(null);
    },
  );

  await app.register(testConnectionRoute);
};
