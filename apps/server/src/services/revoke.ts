import { ConnectorError, createOAuth2Client } from '@cfm/connector-sdk';
import { loadOwnedConnection } from './connector-access.js';
import { CredentialStore } from './credential-store.js';
import { clockOf, describeError, type EngineContext, sdkOptionsOf, silentLogger } from './engine-context.js';

export interface RevokeResult {
  /** The connection is revoked locally (always true on return). */
  revoked: true;
  /** True when the provider confirmed, false when it failed, null when it was not asked (no endpoint, no credentials). */
  providerRevoked: boolean | null;
  /** Set when the provider call failed: a safe description (status or provider error name). */
  providerError: string | null;
  message: string;
}

export const REVOKED_REASON = 'Disconnected by the user';

/**
 * Disconnects a connection: asks the provider to revoke the grant when the connector can (a failure is
 * reported, not thrown), then deletes the sealed credentials and sets the status `revoked`. Calling it
 * again is harmless. Another user's connection is `CFM_CONNECTION_NOT_FOUND`.
 */
export async function revokeConnection(
  context: EngineContext,
  input: { connectionId: string; userId: string },
): Promise<RevokeResult> {
  const { db } = context.database;
  const logger = context.logger ?? silentLogger;
  const connection = await loadOwnedConnection(db, input.connectionId, input.userId);
  const store = new CredentialStore(context.vault);
  const stored = await store.load(db, connection.id);
  let providerRevoked: boolean | null = null;
  let providerError: string | null = null;
  if (stored?.credentials.type === 'oauth2') {
    const connector = await context.connectors.resolveById(connection.connector_id);
    if (connector?.client) {
      const oauth = createOAuth2Client(connector.definition, {
        client: connector.client,
        config: connection.config,
        signal: AbortSignal.timeout(15_000),
        ...sdkOptionsOf(context),
      });
      if (oauth.canRevoke) {
        try {
          await oauth.revoke({ credentials: stored.credentials });
          providerRevoked = true;
        } catch (error) {
          providerRevoked = false;
          providerError = ConnectorError.is(error)
            ? (error.providerCode ?? (error.status !== undefined ? `HTTP ${error.status}` : error.reason))
            : describeError(error);
          logger.warn('provider token revocation failed; deleting local credentials anyway', {
            connectionId: connection.id,
            error: providerError,
          });
        }
      }
    }
  }
  const now = clockOf(context)();
  await db.transaction().execute(async (transaction) => {
    await store.delete(transaction, connection.id);
    await transaction
      .updateTable('connections')
      .set({ status: 'revoked', status_reason: REVOKED_REASON, updated_at: now })
      .where('id', '=', connection.id)
      .execute();
  });
  const message =
    providerRevoked === false
      ? `Disconnected; the provider could not confirm the revocation (${providerError})`
      : 'Disconnected';
  return { revoked: true, providerRevoked, providerError, message };
}
