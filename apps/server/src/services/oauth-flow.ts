import { randomUUID } from 'node:crypto';
import { ConnectorError, createOAuth2Client, createPkcePair, type TokenSet } from '@cfm/connector-sdk';
import type { JsonObject } from '@cfm/db';
import { loadOwnedConnection, mergeMetadata, requireClient } from './connector-access.js';
import type { ResolvedConnector } from './connector-resolver.js';
import { CredentialStore, type Executor } from './credential-store.js';
import { clockOf, describeError, type EngineContext, sdkOptionsOf, silentLogger } from './engine-context.js';
import { OAuthStateStore } from './oauth-state-store.js';
import { OAuthStateSigner } from './oauth-state-token.js';
import { ServiceError, safeProviderError } from './service-error.js';

export interface StartAuthorizationInput {
  userId: string;
  connectorKey: string;
  /** Re-authorise this existing connection (must belong to `userId`). */
  connectionId?: string;
  /** Our callback URL, registered at the provider. */
  redirectUri: string;
  /** Non-secret settings for a new connection (`site`, …); they also fill `{placeholders}` in the URLs. */
  config?: JsonObject;
  /** Scopes to request; default the descriptor's required ones. */
  scopes?: string[];
}

export interface CompleteAuthorizationInput {
  /** The signed-in caller, or null for the browser GET callback (the user comes from the pending record). */
  userId: string | null;
  connectorKey: string;
  code?: string;
  state: string;
  /** The provider's `error` callback parameter (`access_denied`). */
  error?: string;
  errorDescription?: string;
  /** Every callback query parameter; only those the descriptor names in `callbackParams` are used. */
  callbackParams?: Record<string, string>;
}

export interface CompleteAuthorizationResult {
  success: true;
  message: string;
  connectionId: string;
}

export interface OAuthFlowOptions {
  /** The JWT secret (bytes or text); the state signing key is derived from it with HKDF. */
  stateSecret: Uint8Array | string;
  /** Upper bound for the code exchange. Default 15 s. */
  exchangeTimeoutMs?: number;
}

/**
 * The authorization-code flow: `startAuthorization` → browser at the provider → `completeAuthorization`.
 * Everything secret (PKCE verifier, code, tokens) stays on the server; callers get URLs and ids only.
 */
export class OAuthFlow {
  readonly #context: EngineContext;
  readonly #states: OAuthStateStore;
  readonly #credentials: CredentialStore;
  readonly #exchangeTimeoutMs: number;

  constructor(context: EngineContext, options: OAuthFlowOptions) {
    this.#context = context;
    this.#states = new OAuthStateStore(new OAuthStateSigner(options.stateSecret), context.vault);
    this.#credentials = new CredentialStore(context.vault);
    this.#exchangeTimeoutMs = options.exchangeTimeoutMs ?? 15_000;
  }

  async startAuthorization(
    input: StartAuthorizationInput,
  ): Promise<{ authorizationUrl: string; state: string }> {
    const { db } = this.#context.database;
    const connector = await this.#context.connectors.resolve(input.connectorKey);
    if (!connector)
      throw new ServiceError('CFM_CONNECTOR_NOT_FOUND', `Connector "${input.connectorKey}" not found`);
    if (!connector.enabled)
      throw new ServiceError('CFM_CONNECTOR_DISABLED', `Connector "${connector.key}" is disabled`);
    const descriptor = oauth2Descriptor(connector);
    const client = requireClient(connector);
    let config = input.config ?? null;
    if (input.connectionId !== undefined) {
      const connection = await loadOwnedConnection(db, input.connectionId, input.userId);
      if (connection.connector_id !== connector.id) {
        throw new ServiceError(
          'CFM_CONNECTION_NOT_FOUND',
          `Connection "${input.connectionId}" not found for "${connector.key}"`,
        );
      }
      config ??= connection.config;
    }
    const oauth = createOAuth2Client(connector.definition, {
      client,
      config: config ?? {},
      ...sdkOptionsOf(this.#context),
    });
    const pkce = descriptor.pkce === 'off' ? null : createPkcePair();
    const state = await this.#states.create(
      db,
      {
        userId: input.userId,
        connectorId: connector.id,
        connectionId: input.connectionId ?? null,
        redirectUri: input.redirectUri,
        codeVerifier: pkce?.verifier ?? null,
        config,
      },
      clockOf(this.#context)(),
    );
    const authorizationUrl = oauth.buildAuthorizeUrl({
      redirectUri: input.redirectUri,
      state,
      ...(pkce && { codeChallenge: pkce.challenge }),
      ...(input.scopes && { scopes: input.scopes }),
    });
    return { authorizationUrl, state };
  }

  async completeAuthorization(input: CompleteAuthorizationInput): Promise<CompleteAuthorizationResult> {
    const { db } = this.#context.database;
    const now = clockOf(this.#context);
    const connector = await this.#context.connectors.resolve(input.connectorKey);
    // An unknown key still goes through the state checks so a bad state is reported as such first.
    const claimed = await this.#states.claim(
      db,
      {
        token: input.state,
        userId: input.userId,
        connectorId: connector?.id ?? `unknown:${input.connectorKey}`,
      },
      now(),
    );
    const { record, codeVerifier } = claimed;
    if (!connector)
      throw new ServiceError('CFM_CONNECTOR_NOT_FOUND', `Connector "${input.connectorKey}" not found`);
    if (input.error !== undefined && input.error !== '') {
      const providerCode = safeProviderError(input.error) ?? 'unknown_error';
      throw new ServiceError(
        'CFM_OAUTH_PROVIDER_DENIED',
        `The provider did not authorize the connection (${providerCode})`,
        {
          providerCode,
        },
      );
    }
    if (input.code === undefined || input.code === '') {
      throw new ServiceError(
        'CFM_OAUTH_CODE_MISSING',
        'The provider called back without an authorization code',
      );
    }
    const descriptor = oauth2Descriptor(connector);
    const client = requireClient(connector);
    const existing = record.connection_id
      ? await db
          .selectFrom('connections')
          .select('config')
          .where('id', '=', record.connection_id)
          .executeTakeFirst()
      : undefined;
    const config = record.config ?? existing?.config ?? {};
    const wanted = new Set(descriptor.callbackParams ?? []);
    const callbackParams = Object.fromEntries(
      Object.entries(input.callbackParams ?? {}).filter(([name]) => wanted.has(name)),
    );
    const oauth = createOAuth2Client(connector.definition, {
      client,
      config,
      ...sdkOptionsOf(this.#context),
      signal: AbortSignal.timeout(this.#exchangeTimeoutMs),
    });
    let tokens: TokenSet;
    try {
      tokens = await oauth.exchangeCode({
        code: input.code,
        redirectUri: record.redirect_uri,
        callbackParams,
        ...(codeVerifier !== null && { codeVerifier }),
      });
    } catch (error) {
      throw exchangeFailure(error);
    }
    const connectionId = await db
      .transaction()
      .execute((transaction) => this.#store(transaction, connector, record, config, tokens, now()));
    (this.#context.logger ?? silentLogger).info('oauth connection authorized', {
      connectionId,
      connector: connector.key,
    });
    return { success: true, message: `Connected to ${connector.definition.name}`, connectionId };
  }

  /** Creates or updates the connection and its sealed credentials; runs inside one transaction. */
  async #store(
    transaction: Executor,
    connector: ResolvedConnector,
    record: { user_id: string; connection_id: string | null; config: JsonObject | null },
    config: JsonObject,
    tokens: TokenSet,
    now: Date,
  ): Promise<string> {
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
        .where('connector_id', '=', connector.id)
        .executeTakeFirst());
    const scopes = tokens.credentials.scopes ?? null;
    let connectionId: string;
    if (connection) {
      connectionId = connection.id;
      await transaction
        .updateTable('connections')
        .set({
          status: 'active',
          status_reason: null,
          metadata: mergeMetadata(connection.metadata, tokens.metadata),
          ...(scopes && { scopes }),
          ...(record.config && { config: record.config }),
          updated_at: now,
        })
        .where('id', '=', connectionId)
        .execute();
    } else {
      connectionId = randomUUID();
      await transaction
        .insertInto('connections')
        .values({
          id: connectionId,
          user_id: record.user_id,
          connector_id: connector.id,
          config,
          status: 'active',
          status_reason: null,
          metadata: tokens.metadata ?? {},
          scopes,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await this.#credentials.save(transaction, connectionId, tokens.credentials, now);
    return connectionId;
  }
}

function oauth2Descriptor(connector: ResolvedConnector) {
  const descriptor = connector.definition.auth.find((auth) => auth.type === 'oauth2');
  if (!descriptor) {
    throw new ServiceError('CFM_OAUTH_NOT_SUPPORTED', `Connector "${connector.key}" does not use OAuth 2`);
  }
  return descriptor;
}

function exchangeFailure(error: unknown): ServiceError {
  if (ConnectorError.is(error)) {
    const providerCode = safeProviderError(error.providerCode);
    const detail = providerCode ?? (error.status !== undefined ? `HTTP ${error.status}` : error.reason);
    return new ServiceError(
      'CFM_OAUTH_EXCHANGE_FAILED',
      `The provider refused the code exchange (${detail})`,
      {
        ...(providerCode !== undefined && { providerCode }),
        retryable: error.retryable,
      },
    );
  }
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return new ServiceError(
    'CFM_OAUTH_EXCHANGE_FAILED',
    timedOut
      ? 'The provider did not answer the code exchange in time'
      : `The code exchange failed (${describeError(error)})`,
    { retryable: true },
  );
}
