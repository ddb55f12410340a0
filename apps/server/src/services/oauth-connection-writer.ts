import { randomUUID } from 'node:crypto';
import type { TokenSet } from '@cfm/connector-sdk';
import type { JsonObject } from '@cfm/db';
import { mergeMetadata } from './connector-access.js';
import type { CredentialStore, Executor } from './credential-store.js';
import type { GrantAssessment } from './oauth-grant-check.js';

export interface AuthorizedConnectionInput {
  connectorId: string;
  /** The spent pending authorization. */
  record: { user_id: string; connection_id: string | null; config: JsonObject | null };
  config: JsonObject;
  tokens: TokenSet;
  /** Decides the status, its reason and the scopes recorded. */
  grant: GrantAssessment;
  now: Date;
}

/**
 * Creates or updates the connection and its sealed credentials; run it inside one transaction. A grant
 * that lacks what the connector needs is stored too (status `error` with the reason), so the user sees
 * why and a disconnect can still revoke the tokens at the provider.
 */
export async function saveAuthorizedConnection(
  transaction: Executor,
  credentials: CredentialStore,
  input: AuthorizedConnectionInput,
): Promise<string> {
  const { record, tokens, grant, now } = input;
  const byId = record.connection_id
    ? await transaction
        .selectFrom('connections')
        .selectAll()
        .where('id', '=', record.connection_id)
        .where('user_id', '=', record.user_id)
        .executeTakeFirst()
    : undefined;
  // One connection per user and connector (a unique constraint): a second "connect" reconnects it.
  const connection =
    byId ??
    (await transaction
      .selectFrom('connections')
      .selectAll()
      .where('user_id', '=', record.user_id)
      .where('connector_id', '=', input.connectorId)
      .executeTakeFirst());
  const facts = { status: grant.status, status_reason: grant.reason, scopes: grant.scopes, updated_at: now };
  let connectionId: string;
  if (connection) {
    connectionId = connection.id;
    await transaction
      .updateTable('connections')
      .set({
        ...facts,
        metadata: mergeMetadata(connection.metadata, tokens.metadata),
        ...(record.config && { config: record.config }),
      })
      .where('id', '=', connectionId)
      .execute();
  } else {
    connectionId = randomUUID();
    await transaction
      .insertInto('connections')
      .values({
        ...facts,
        id: connectionId,
        user_id: record.user_id,
        connector_id: input.connectorId,
        config: input.config,
        metadata: tokens.metadata ?? {},
        created_at: now,
      })
      .execute();
  }
  await credentials.save(transaction, connectionId, tokens.credentials, now);
  return connectionId;
}
