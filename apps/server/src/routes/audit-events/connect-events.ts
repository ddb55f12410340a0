import type { Database } from '@cfm/db';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { actorOf } from '../../plugins/auth.js';
import { toAppError } from '../../plugins/error-handler.js';
import type { AuditActor, AuditEventInput } from '../../services/audit/audit-log.js';

/**
 * The `connection.connect` events of the OAuth callbacks, built in one place for the POST callback (the
 * signed-in user) and the GET callback (no token: the actor is the connection's owner once known).
 */
export function connectSucceeded(
  request: FastifyRequest,
  connectorKey: string,
  result: { success: boolean; status: string; connectionId: string; warnings?: readonly string[] },
  actor: AuditActor = actorOf(request),
): AuditEventInput {
  return {
    action: 'connection.connect',
    // Stored as `error` (the provider granted less than needed) is a failed connect, not an error answer.
    outcome: result.success ? 'success' : 'failure',
    actor,
    connectionId: result.connectionId,
    connectorKey,
    statusCode: 200,
    detail: { status: result.status, warnings: result.warnings?.length ?? 0 },
    requestId: request.id,
  };
}

export function connectFailed(
  request: FastifyRequest,
  connectorKey: string,
  error: unknown,
  actor: AuditActor = actorOf(request),
): AuditEventInput {
  const mapped = toAppError(error);
  return {
    action: 'connection.connect',
    outcome: 'failure',
    actor,
    connectorKey,
    statusCode: mapped.statusCode,
    detail: {
      error_code: mapped.code,
      ...(mapped.providerError !== undefined && { provider_error: mapped.providerError }),
    },
    requestId: request.id,
  };
}

/** The owner of a connection as an actor (the GET callback has no token), or the anonymous browser. */
export async function ownerActor(db: Kysely<Database>, connectionId: string | null): Promise<AuditActor> {
  const anonymous: AuditActor = { type: 'system', id: null, label: 'oauth-callback' };
  if (connectionId === null) return anonymous;
  const owner = await db
    .selectFrom('connections')
    .innerJoin('users', 'users.id', 'connections.user_id')
    .select(['users.id as id', 'users.email as email'])
    .where('connections.id', '=', connectionId)
    .executeTakeFirst()
    // The connection is stored already: a failed lookup costs the event its actor, never the answer.
    .catch(() => undefined);
  return owner === undefined ? anonymous : { type: 'user', id: owner.id, label: owner.email };
}
