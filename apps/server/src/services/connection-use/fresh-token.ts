import type { EngineContext } from '../engine-context.js';
import { ServiceError } from '../service-error.js';
import type { TokenManager } from '../token-manager.js';
import { type ConnectionCaller, freshCredentialsOf, loadUsableConnection } from './usable-connection.js';

export interface FreshToken {
  access_token: string;
  token_type: string;
  expires_at: string | null;
  scopes: string[];
  connector_key: string;
  config_data: Record<string, unknown>;
}

/**
 * The connection's OAuth access token for a trusted back-end service, refreshed first when it is about
 * to expire (the token manager's margin). Only OAuth 2 connections have one: API keys and passwords never
 * leave the server (`CFM_TOKEN_NOT_AVAILABLE`; the proxy uses them instead).
 */
export async function freshToken(
  context: EngineContext,
  tokens: TokenManager,
  caller: ConnectionCaller,
  connectionId: string,
): Promise<FreshToken> {
  const { connection, connector } = await loadUsableConnection(context, caller, connectionId);
  const credentials = await freshCredentialsOf(tokens, connectionId);
  if (credentials.type !== 'oauth2') {
    throw new ServiceError(
      'CFM_TOKEN_NOT_AVAILABLE',
      `The ${connector.definition.name} connection uses ${credentials.type === 'api_key' ? 'API keys' : `${credentials.type} credentials`}, which stay on the server: call the provider through the proxy`,
    );
  }
  return {
    access_token: credentials.accessToken,
    token_type: credentials.tokenType ?? 'Bearer',
    expires_at: credentials.expiresAt ?? null,
    scopes: [...(credentials.scopes ?? connection.scopes ?? [])],
    connector_key: connector.key,
    config_data: connection.config,
  };
}
