import type { AuditEventRow } from '@cfm/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { BEARER_SECURITY, errorResponses } from '../../schemas/error-response.js';
import { decodeAuditCursor, listAuditEvents } from '../../services/audit/audit-query.js';
import { AuditEventList, ListAuditEventsQuery } from './schemas.js';

function toView(row: AuditEventRow) {
  return {
    id: row.id,
    occurred_at: row.occurred_at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    action: row.action,
    connection_id: row.connection_id,
    connector_key: row.connector_key,
    outcome: row.outcome,
    status_code: row.status_code,
    duration_ms: row.duration_ms,
    detail: row.detail,
    request_id: row.request_id,
  };
}

/** `GET /api/audit-events`: the audit trail, for admins. Registered under a prefix. */
export const auditEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    {
      onRequest: app.requireAdmin,
      config: { cachedUser: true },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: 'The audit trail, newest first (admin): who did what to which connection, connector or key',
        description:
          'Every credential-affecting action (connect, refresh failure, test, revoke, delete; connector and service-key changes) and every use of a connection (proxy, token, action). Filter by `connection_id`, `action`, `actor_id` and `since`; page with `cursor` = the previous answer’s `next_cursor`.',
        security: BEARER_SECURITY,
        querystring: ListAuditEventsQuery,
        response: {
          200: AuditEventList,
          ...errorResponses(401, 500, 503),
          400: Type.With(errorResponses(400)[400], {
            description:
              'A bad filter (`CFM_VALIDATION`) or a cursor this server did not make (`CFM_BAD_REQUEST`).',
          }),
          403: Type.With(errorResponses(403)[403], {
            description: 'Not an admin user token (`CFM_FORBIDDEN`; service keys never reach admin routes).',
          }),
        },
      },
    },
    async (request) => {
      const {
        connection_id: connectionId,
        action,
        actor_id: actorId,
        since,
        cursor: cursorText,
      } = request.query;
      const cursor = cursorText === undefined ? undefined : decodeAuditCursor(cursorText);
      if (cursorText !== undefined && cursor === undefined) {
        throw new AppError('CFM_BAD_REQUEST', 'The cursor is not valid: use next_cursor of a previous page');
      }
      const page = await listAuditEvents(app.db.db, {
        limit: request.query.limit ?? 50,
        ...(connectionId !== undefined && { connectionId }),
        ...(action !== undefined && { action }),
        ...(actorId !== undefined && { actorId }),
        ...(since !== undefined && { since: new Date(since) }),
        ...(cursor !== undefined && { cursor }),
      });
      return { items: page.events.map(toView), next_cursor: page.nextCursor };
    },
  );
};
