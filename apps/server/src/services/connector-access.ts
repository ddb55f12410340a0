import type { ConnectionRow } from '@cfm/db';
import type { ResolvedConnector } from './connector-resolver.js';
import type { Executor } from './credential-store.js';
import { ServiceError } from './service-error.js';

/** A connection owned by `userId`; another user's connection is reported exactly like a missing one. */
export async function loadOwnedConnection(
  executor: Executor,
  connectionId: string,
  userId: string,
): Promise<ConnectionRow> {
  const connection = await executor
    .selectFrom('connections')
    .selectAll()
    .where('id', '=', connectionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!connection)
    throw new ServiceError('CFM_CONNECTION_NOT_FOUND', `Connection "${connectionId}" not found`);
  return connection;
}

/** The connector's client credentials, or `CFM_CONNECTOR_NOT_CONFIGURED` naming what an operator must set. */
export function requireClient(connector: ResolvedConnector): NonNullable<ResolvedConnector['client']> {
  if (connector.client) return connector.client;
  const missing = connector.missingVariables;
  const names = missing.length > 0 ? `: set ${missing.join(', ')}` : '';
  throw new ServiceError(
    'CFM_CONNECTOR_NOT_CONFIGURED',
    `Connector "${connector.key}" is not configured${names}`,
    {
      missingVariables: [...missing],
    },
  );
}

export function hasOAuth2(connector: ResolvedConnector): boolean {
  return connector.definition.auth.some((auth) => auth.type === 'oauth2');
}

/** Shallow merge of non-secret facts; a provider fact replaces the stored one with the same name. */
export function mergeMetadata(
  current: Record<string, unknown> | null | undefined,
  update: Record<string, unknown> | undefined,
): Record<string, unknown> {
  return { ...(current ?? {}), ...(update ?? {}) };
}
