import { ConnectorError, type Credentials, createOAuth2Client } from '@cfm/connector-sdk';
import type { JsonObject } from '@cfm/db';
import { loadOwnedConnection } from './connector-access.js';
import type { ResolvedConnector } from './connector-resolver.js';
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

/** How long one provider revocation may take. */
const REVOKE_TIMEOUT_MS = 15_000;

interface ProviderOutcome {
  providerRevoked: boolean | null;
  providerError: string | null;
}

/**
 * Asks the provider to revoke a connection's grant when the connector can; never throws. A failure is
 * described safely (the provider's error name or an HTTP status, never a token or a body).
 */
async function revokeAtProvider(
  context: EngineContext,
  connector: ResolvedConnector | null,
  connection: { config: JsonObject },
  credentials: Credentials | undefined,
  signal: AbortSignal,
): Promise<ProviderOutcome> {
  if (credentials?.type !== 'oauth2' || !connector?.client)
    return { providerRevoked: null, providerError: null };
  const oauth = createOAuth2Client(connector.definition, {
    client: connector.client,
    config: connection.config,
    signal,
    ...sdkOptionsOf(context),
  });
  if (!oauth.canRevoke) return { providerRevoked: null, providerError: null };
  try {
    await oauth.revoke({ credentials });
    return { providerRevoked: true, providerError: null };
  } catch (error) {
    const providerError = ConnectorError.is(error)
      ? (error.providerCode ?? (error.status !== undefined ? `HTTP ${error.status}` : error.reason))
      : describeError(error);
    return { providerRevoked: false, providerError };
  }
}

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
  const connector =
    stored?.credentials.type === 'oauth2'
      ? await context.connectors.resolveById(connection.connector_id)
      : null;
  const { providerRevoked, providerError } = await revokeAtProvider(
    context,
    connector,
    connection,
    stored?.credentials,
    AbortSignal.timeout(REVOKE_TIMEOUT_MS),
  );
  if (providerRevoked === false) {
    logger.warn('provider token revocation failed; deleting local credentials anyway', {
      connectionId: connection.id,
      error: providerError,
    });
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

/** What revoking every grant of a connector did, counted per connection holding credentials. */
export interface GrantRevocationSummary {
  /** Connections that held credentials. */
  connections: number;
  /** The provider confirmed the revocation. */
  revoked: number;
  /** The provider refused or failed, the credentials could not be opened, or the deadline passed first. */
  failed: number;
  /** Nothing to ask: API-key credentials, or a connector without a revocation endpoint or client. */
  notAsked: number;
}

export interface GrantRevocationOptions {
  /** Provider calls in flight at once. Default 4. */
  concurrency?: number;
  /** After this long, connections not yet handled count as failed. Default 60 s. */
  deadlineMs?: number;
}

/**
 * Revokes at the provider the grant of every connection of a connector that holds credentials, a few at a
 * time, before the connector (and with it, by cascade, its connections) is deleted: tokens that would
 * otherwise stay valid at the provider with nobody left to revoke them. Never throws for a provider
 * failure; failures are counted and logged (a warning with the counts, and each failure's safe reason).
 */
export async function revokeConnectorGrants(
  context: EngineContext,
  connectorId: string,
  options: GrantRevocationOptions = {},
): Promise<GrantRevocationSummary> {
  const { db } = context.database;
  const logger = context.logger ?? silentLogger;
  const connections = await db
    .selectFrom('connections')
    .innerJoin('credentials', 'credentials.connection_id', 'connections.id')
    .select(['connections.id as id', 'connections.config as config'])
    .where('connections.connector_id', '=', connectorId)
    .execute();
  const summary: GrantRevocationSummary = {
    connections: connections.length,
    revoked: 0,
    failed: 0,
    notAsked: 0,
  };
  if (connections.length === 0) return summary;
  const connector = await context.connectors.resolveById(connectorId);
  const store = new CredentialStore(context.vault);
  const deadline = AbortSignal.timeout(options.deadlineMs ?? 60_000);
  let next = 0;

  async function revokeOne(connection: (typeof connections)[number]): Promise<void> {
    if (deadline.aborted) {
      summary.failed += 1;
      return;
    }
    let outcome: ProviderOutcome;
    try {
      const stored = await store.load(db, connection.id);
      const signal = AbortSignal.any([deadline, AbortSignal.timeout(REVOKE_TIMEOUT_MS)]);
      outcome = await revokeAtProvider(context, connector, connection, stored?.credentials, signal);
    } catch (error) {
      // Credentials sealed under a key that is gone, or a database failure for this one row.
      outcome = { providerRevoked: false, providerError: describeError(error) };
    }
    if (outcome.providerRevoked === true) summary.revoked += 1;
    else if (outcome.providerRevoked === null) summary.notAsked += 1;
    else {
      summary.failed += 1;
      logger.warn('provider revocation failed for a connection of a deleted connector', {
        connectionId: connection.id,
        error: outcome.providerError,
      });
    }
  }

  const workers = Array.from({ length: Math.min(options.concurrency ?? 4, connections.length) }, async () => {
    while (next < connections.length) await revokeOne(connections[next++]!);
  });
  await Promise.all(workers);
  if (summary.failed > 0) {
    logger.warn('deleting a connector: some grants could not be revoked at the provider', { ...summary });
  }
  return summary;
}
