import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { actorOf } from '../../plugins/auth.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import {
  type ConnectorAdminContext,
  createCustomConnector,
  deleteCustomConnector,
  updateConnector,
} from '../../services/connector-admin.js';
import { keptJson } from '../kept-json.js';
import {
  ConnectorKeyParams,
  ConnectorList,
  ConnectorResponse,
  CreateCustomConnectorBody,
  UpdateConnectorBody,
} from './schemas.js';

/** `/api/connectors`: the catalogue (any user) and custom connectors (admins). Registered under a prefix. */
export const connectorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = (): ConnectorAdminContext => ({
    database: app.db,
    vault: app.vault,
    registry: app.connectors,
    urlPolicy: app.connectorUrlPolicy,
    engine: app.engine.context,
  });

  // The list is the same for every caller and changes only with the catalogue: the registry returns the
  // same array until then, and its JSON (12 KB for 16 connectors) is kept with it as bytes.
  const sendList = keptJson();

  app.get(
    '/',
    {
      onRequest: app.authenticate,
      // Reads no row of the caller's: a user row seen in the last seconds will do.
      config: { cachedUser: true },
      schema: {
        operationId: 'listConnectors',
        tags: ['connectors'],
        summary: 'Every connector: packaged and custom, with load status and whether it is configured',
        security: BEARER_SECURITY,
        response: { 200: ConnectorList, ...errorResponses(401, 500, 503) },
      },
    },
    async (_request, reply) => sendList(reply, await app.connectors.list()),
  );

  app.get(
    '/:key',
    {
      onRequest: app.authenticate,
      config: { cachedUser: true },
      schema: {
        operationId: 'getConnector',
        tags: ['connectors'],
        summary: 'One connector by key',
        security: BEARER_SECURITY,
        params: ConnectorKeyParams,
        response: {
          200: Type.With(ConnectorResponse, { description: 'The connector.' }),
          ...errorResponses(400, 401, 404, 500, 503),
        },
      },
    },
    async (request) => {
      const view = await app.connectors.get(request.params.key);
      if (view === null)
        throw new AppError('CFM_CONNECTOR_NOT_FOUND', `Connector "${request.params.key}" not found`);
      return view;
    },
  );

  app.post(
    '/',
    {
      onRequest: app.requireAdmin,
      schema: {
        operationId: 'createCustomConnector',
        tags: ['connectors'],
        summary:
          'Declare a custom connector (admin); its client secret is stored encrypted and never returned',
        security: BEARER_SECURITY,
        body: CreateCustomConnectorBody,
        response: {
          201: Type.With(ConnectorResponse, { description: 'The created custom connector.' }),
          ...errorResponses(400, 401, 403, 409, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const connector = await createCustomConnector(admin(), request.body);
      await recordAuditEvent(app.db.db, {
        action: 'connector.create',
        outcome: 'success',
        actor: actorOf(request),
        connectorKey: connector.key,
        statusCode: 201,
        requestId: request.id,
      });
      return reply.code(201).send(connector);
    },
  );

  app.put(
    '/:key',
    {
      onRequest: app.requireAdmin,
      schema: {
        operationId: 'updateConnector',
        tags: ['connectors'],
        summary:
          'Update a connector (admin): a custom one entirely; a packaged one only its display fields and enabled',
        security: BEARER_SECURITY,
        params: ConnectorKeyParams,
        body: UpdateConnectorBody,
        response: {
          200: Type.With(ConnectorResponse, { description: 'The updated connector.' }),
          ...errorResponses(400, 401, 403, 404, 500, 503),
        },
      },
    },
    async (request) => {
      const connector = await updateConnector(admin(), request.params.key, request.body);
      await recordAuditEvent(app.db.db, {
        action: 'connector.update',
        outcome: 'success',
        actor: actorOf(request),
        connectorKey: connector.key,
        statusCode: 200,
        // Which fields changed, never their values (a client secret may be among them).
        detail: { fields: Object.keys(request.body).sort() },
        requestId: request.id,
      });
      return connector;
    },
  );

  app.delete(
    '/:key',
    {
      onRequest: app.requireAdmin,
      schema: {
        operationId: 'deleteCustomConnector',
        tags: ['connectors'],
        summary: 'Delete a custom connector and its connections (admin); packaged ones can only be disabled',
        security: BEARER_SECURITY,
        params: ConnectorKeyParams,
        response: {
          204: Type.Null({ description: 'Deleted.' }),
          ...errorResponses(400, 401, 403, 404, 409, 500, 503),
        },
      },
    },
    async (request, reply) => {
      // Every connection's grant is revoked at the provider first; failures are logged and counted here.
      const revocation = await deleteCustomConnector(admin(), request.params.key);
      await recordAuditEvent(app.db.db, {
        action: 'connector.delete',
        outcome: 'success',
        actor: actorOf(request),
        connectorKey: request.params.key,
        statusCode: 204,
        detail: {
          connections: revocation.connections,
          grants_revoked: revocation.revoked,
          grants_not_revoked: revocation.failed,
          grants_without_revocation: revocation.notAsked,
        },
        requestId: request.id,
      });
      return reply.code(204).send(null);
    },
  );
};
