import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { actorOf } from '../../plugins/auth.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { recordAuditEvent } from '../../services/audit/audit-log.js';
import {
  createServiceKey,
  listServiceKeys,
  revokeServiceKey,
  type ServiceKeyRecord,
  serviceKeyStatus,
} from '../../services/service-keys/service-key-store.js';
import {
  CreatedServiceKey,
  CreateServiceKeyBody,
  ListServiceKeysQuery,
  ServiceKeyList,
  ServiceKeyParams,
  type ServiceKeyViewType,
} from './schemas.js';

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

export function toServiceKeyView(record: ServiceKeyRecord, now: Date = new Date()): ServiceKeyViewType {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    key_prefix: record.keyPrefix,
    status: serviceKeyStatus(record, now),
    created_by: record.createdBy,
    created_at: record.createdAt.toISOString(),
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
    last_used_at: iso(record.lastUsedAt),
  };
}

const ADMIN_ONLY =
  'Not an admin user token (`CFM_FORBIDDEN`; service keys never reach admin routes, whatever their scopes).';

/** `/api/service-keys`: admins create, list and revoke the keys of back-end services. Registered under a prefix. */
export const serviceKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.requireAdmin);

  app.post(
    '/',
    {
      schema: {
        operationId: 'createServiceKey',
        tags: ['service-keys'],
        summary: 'Create a service key for a back-end service (admin); the key is shown once',
        security: BEARER_SECURITY,
        body: CreateServiceKeyBody,
        response: {
          201: CreatedServiceKey,
          ...errorResponses(400, 401, 500, 503),
          403: Type.With(errorResponses(403)[403], { description: ADMIN_ONLY }),
        },
      },
    },
    async (request, reply) => {
      const { name, scopes, expires_in_days: expiresInDays } = request.body;
      const { key, record } = await createServiceKey(app.db.db, {
        name,
        scopes,
        createdBy: request.user!.id,
        ...(expiresInDays !== undefined && { expiresInDays }),
      });
      await recordAuditEvent(app.db.db, {
        action: 'service_key.create',
        outcome: 'success',
        actor: actorOf(request),
        detail: {
          service_key_id: record.id,
          name: record.name,
          scopes: record.scopes,
          expires_at: iso(record.expiresAt),
        },
        requestId: request.id,
      });
      return reply.code(201).send({
        id: record.id,
        name: record.name,
        scopes: record.scopes,
        key,
        key_prefix: record.keyPrefix,
        created_at: record.createdAt.toISOString(),
        expires_at: iso(record.expiresAt),
      });
    },
  );

  app.get(
    '/',
    {
      config: { cachedUser: true },
      schema: {
        operationId: 'listServiceKeys',
        tags: ['service-keys'],
        summary: 'Every service key, newest first (admin): never the key or its hash',
        security: BEARER_SECURITY,
        querystring: ListServiceKeysQuery,
        response: {
          200: ServiceKeyList,
          ...errorResponses(400, 401, 500, 503),
          403: Type.With(errorResponses(403)[403], { description: ADMIN_ONLY }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const offset = request.query.offset ?? 0;
      const { records, total } = await listServiceKeys(app.db.db, { limit, offset });
      const now = new Date();
      return { items: records.map((record) => toServiceKeyView(record, now)), total, limit, offset };
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'revokeServiceKey',
        tags: ['service-keys'],
        summary: 'Revoke a service key (admin): refused from the next request on, in every server process',
        security: BEARER_SECURITY,
        params: ServiceKeyParams,
        response: {
          204: Type.Null({ description: 'Revoked (also when it already was).' }),
          ...errorResponses(400, 401, 500, 503),
          403: Type.With(errorResponses(403)[403], { description: ADMIN_ONLY }),
          404: Type.With(errorResponses(404)[404], {
            description: 'No such key (`CFM_SERVICE_KEY_NOT_FOUND`).',
          }),
        },
      },
    },
    async (request, reply) => {
      const revoked = await revokeServiceKey(app.db.db, request.params.id);
      if (revoked === undefined) {
        throw new AppError('CFM_SERVICE_KEY_NOT_FOUND', `Service key "${request.params.id}" not found`);
      }
      if (revoked.revokedNow) {
        await recordAuditEvent(app.db.db, {
          action: 'service_key.revoke',
          outcome: 'success',
          actor: actorOf(request),
          detail: { service_key_id: revoked.record.id, name: revoked.record.name },
          requestId: request.id,
        });
      }
      return reply.code(204).send(null);
    },
  );
};
