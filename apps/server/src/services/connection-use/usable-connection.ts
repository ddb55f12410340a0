import {
  type ApiConnectionFacts,
  ConnectorError,
  type Credentials,
  createConnectorContext,
  missingApiPlaceholders,
  resolveApiBaseUrl,
} from '@cfm/connector-sdk';
import type { ConnectionRow } from '@cfm/db';
import { mergeMetadata } from '../connector-access.js';
import type { ResolvedConnector } from '../connector-resolver.js';
import { clockOf, describeError, type EngineContext, sdkOptionsOf } from '../engine-context.js';
import { ServiceError } from '../service-error.js';
import type { TokenManager } from '../token-manager.js';

/**
 * Who is using a connection: a user (only their own connections exist for them) or a back-end service
 * holding a service key (any connection by id). The route layer builds it from the request's principal.
 */
export type ConnectionCaller = { type: 'user'; userId: string } | { type: 'service'; serviceKeyId: string };

export interface UsableConnection {
  connection: ConnectionRow;
  connector: ResolvedConnector;
}

/**
 * The connection named by `connectionId` as `caller` may see it, with its loaded connector, ready to be
 * used: `CFM_CONNECTION_NOT_FOUND` for an unknown id or another user's connection (a user cannot tell them
 * apart), `CFM_CONNECTION_EXPIRED` when it needs a reconnect, `CFM_CONNECTION_NOT_READY` when it is not
 * active (pending, revoked, in error) and `CFM_CONNECTOR_NOT_LOADED` when its connector is gone.
 */
export async function loadUsableConnection(
  context: EngineContext,
  caller: ConnectionCaller,
  connectionId: string,
): Promise<UsableConnection> {
  let query = context.database.db.selectFrom('connections').selectAll().where('id', '=', connectionId);
  if (caller.type === 'user') query = query.where('user_id', '=', caller.userId);
  const connection = await query.executeTakeFirst();
  if (!connection)
    throw new ServiceError('CFM_CONNECTION_NOT_FOUND', `Connection "${connectionId}" not found`);
  if (connection.status === 'expired') {
    throw new ServiceError(
      'CFM_CONNECTION_EXPIRED',
      `The connection expired: the user must reconnect it${connection.status_reason ? ` (${connection.status_reason})` : ''}`,
    );
  }
  if (connection.status !== 'active') {
    throw new ServiceError(
      'CFM_CONNECTION_NOT_READY',
      `The connection is ${connection.status}: only an active connection can be used${connection.status_reason ? ` (${connection.status_reason})` : ''}`,
    );
  }
  const connector = await context.connectors.resolveById(connection.connector_id);
  if (!connector)
    throw new ServiceError('CFM_CONNECTOR_NOT_LOADED', "The connection's connector is not loaded");
  if (!connector.enabled) {
    throw new ServiceError('CFM_CONNECTOR_DISABLED', `Connector "${connector.key}" is disabled`);
  }
  return { connection, connector };
}

/** Fresh credentials, with a missing row reported as "not ready" (the connection was never completed). */
export async function freshCredentialsOf(
  tokens: TokenManager,
  connectionId: string,
  rejectedAccessToken?: string,
): Promise<Credentials> {
  try {
    return await tokens.getFreshCredentials(
      connectionId,
      rejectedAccessToken === undefined ? {} : { rejectedAccessToken },
    );
  } catch (error) {
    if (ServiceError.is(error) && error.code === 'CFM_CREDENTIALS_MISSING') {
      throw new ServiceError(
        'CFM_CONNECTION_NOT_READY',
        'The connection has no credentials: connect it first',
      );
    }
    throw error;
  }
}

/**
 * The connection's API base URL. When it needs a fact only `check` learns (the Atlassian `cloudId` of a
 * connection never tested), `check` runs once with the credentials and what it learned is stored, as a
 * connection test would store it. Origin overrides are applied.
 */
export async function apiBaseUrlOf(
  context: EngineContext,
  usable: UsableConnection,
  credentials: Credentials,
): Promise<string> {
  const { connector, connection } = usable;
  const { definition } = connector;
  if (definition.api === undefined) {
    throw new ServiceError(
      'CFM_PROXY_NOT_SUPPORTED',
      `Connector "${connector.key}" declares no provider API (api.baseUrl)`,
    );
  }
  let facts: ApiConnectionFacts = { config: connection.config, metadata: connection.metadata };
  if (missingApiPlaceholders(definition, facts).length > 0) {
    facts = { ...facts, metadata: await learnMetadata(context, usable, credentials) };
  }
  const missing = missingApiPlaceholders(definition, facts);
  if (missing.length > 0) {
    throw new ServiceError(
      'CFM_CONNECTION_NOT_READY',
      `The connection lacks ${missing.map((name) => `"${name}"`).join(', ')}, which the provider API URL needs: set it in config_data or test the connection`,
    );
  }
  const base = resolveApiBaseUrl(definition, facts);
  return context.rewriteUrl ? context.rewriteUrl(base) : base;
}

async function learnMetadata(
  context: EngineContext,
  usable: UsableConnection,
  credentials: Credentials,
): Promise<Record<string, unknown>> {
  const { connector, connection } = usable;
  let checked: Awaited<ReturnType<typeof connector.definition.check>>;
  try {
    checked = await connector.definition.check(
      createConnectorContext(connector.definition, {
        config: connection.config,
        credentials,
        metadata: connection.metadata,
        ...sdkOptionsOf(context),
      }),
    );
  } catch (error) {
    throw connectorFailure(error, 'The provider refused the check that finds the API address');
  }
  const metadata = mergeMetadata(connection.metadata, checked.metadata);
  const now = clockOf(context)();
  await context.database.db
    .updateTable('connections')
    .set({ metadata, identity: { ...checked.identity }, last_tested_at: now, updated_at: now })
    .where('id', '=', connection.id)
    .execute();
  connection.metadata = metadata;
  return metadata;
}

/**
 * A connector's failure as the API answers it: `auth` → `CFM_CONNECTION_EXPIRED` (the caller decides
 * whether to refresh first), `rate_limited` → 429 with the provider's wait, `permission` → 403,
 * `config` → 400, `network` → 502 unreachable (504 on a timeout), `provider` → 502. Messages are the
 * connector's, which never hold a secret.
 */
export function connectorFailure(error: unknown, prefix?: string): ServiceError {
  if (ServiceError.is(error)) return error;
  if (!ConnectorError.is(error)) {
    return new ServiceError(
      'CFM_PROVIDER_ERROR',
      `${prefix ?? 'The provider call failed'} (${describeError(error)})`,
      {
        cause: error,
      },
    );
  }
  const message = prefix ? `${prefix}: ${error.message}` : error.message;
  const options = {
    cause: error,
    ...(error.providerCode !== undefined && { providerCode: error.providerCode }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
  };
  switch (error.reason) {
    case 'auth':
      return new ServiceError('CFM_CONNECTION_EXPIRED', message, options);
    case 'rate_limited':
      return new ServiceError('CFM_PROVIDER_RATE_LIMITED', message, { ...options, retryable: true });
    case 'permission':
      return new ServiceError('CFM_PROVIDER_FORBIDDEN', message, options);
    case 'config':
      return new ServiceError('CFM_ACTION_INVALID', message, options);
    case 'network':
      return new ServiceError(
        /timed out/.test(error.message) ? 'CFM_PROVIDER_TIMEOUT' : 'CFM_PROVIDER_UNREACHABLE',
        message,
        { ...options, retryable: true },
      );
    default:
      return new ServiceError('CFM_PROVIDER_ERROR', message, options);
  }
}
