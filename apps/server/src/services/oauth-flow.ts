import { createOAuth2Client, createPkcePair, type TokenSet } from '@cfm/connector-sdk';
import type { JsonObject } from '@cfm/db';
import { metrics } from '../production/metrics.js';
import { loadOwnedConnection, requireClient } from './connector-access.js';
import { CredentialStore } from './credential-store.js';
import { clockOf, type EngineContext, sdkOptionsOf, silentLogger } from './engine-context.js';
import { type BrowserBindingCookie, OAuthBrowserBinding } from './oauth-browser-binding.js';
import { checkIssuer, exchangeFailure, oauth2Descriptor } from './oauth-callback-checks.js';
import { saveAuthorizedConnection } from './oauth-connection-writer.js';
import { assessGrant, requestedScopesOf } from './oauth-grant-check.js';
import { type BrowserProof, OAuthStateStore } from './oauth-state-store.js';
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
  /**
   * The GET callback (no bearer token): the flow must have been started for this redirect URI, and the
   * request must carry the binding cookie the starting browser got. Checked before the state is spent.
   */
  browser?: BrowserProof;
}

export interface StartAuthorizationResult {
  authorizationUrl: string;
  state: string;
  /** Set on the starting browser when the GET callback may complete the flow (see `BrowserProof`). */
  browserCookie: BrowserBindingCookie;
}

export interface CompleteAuthorizationResult {
  /** True when the connection is `active`; false when it was stored as `error` (see `message`). */
  success: boolean;
  status: 'active' | 'error';
  /** `Connected to …`, or why the grant is not enough (the connection's `status_reason`). */
  message: string;
  connectionId: string;
  /** Optional scopes the provider did not grant: the connection works, those features will not. */
  warnings: string[];
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
    this.#states = new OAuthStateStore(
      new OAuthStateSigner(options.stateSecret),
      context.vault,
      new OAuthBrowserBinding(options.stateSecret),
    );
    this.#credentials = new CredentialStore(context.vault);
    this.#exchangeTimeoutMs = options.exchangeTimeoutMs ?? 15_000;
  }

  async startAuthorization(input: StartAuthorizationInput): Promise<StartAuthorizationResult> {
    const { db } = this.#context.database;
    const now = clockOf(this.#context)();
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
    const issued = this.#states.issue(now);
    const authorizationUrl = oauth.buildAuthorizeUrl({
      redirectUri: input.redirectUri,
      state: issued.token,
      ...(pkce && { codeChallenge: pkce.challenge }),
      ...(input.scopes && { scopes: input.scopes }),
    });
    // Read back from the URL: connector hooks may add scopes (Atlassian's offline_access) or drop them.
    const requestedScopes = requestedScopesOf(authorizationUrl, oauth.descriptor.scopeSeparator);
    await this.#states.save(
      db,
      issued,
      {
        userId: input.userId,
        connectorId: connector.id,
        connectionId: input.connectionId ?? null,
        redirectUri: input.redirectUri,
        codeVerifier: pkce?.verifier ?? null,
        config,
        requestedScopes,
      },
      now,
    );
    return { authorizationUrl, state: issued.token, browserCookie: this.#states.browserCookie(issued, now) };
  }

  async completeAuthorization(input: CompleteAuthorizationInput): Promise<CompleteAuthorizationResult> {
    // Counted by connector only once the key names a real one: a made-up key must not mint a series.
    const labels = { connector: 'unknown', outcome: 'success' };
    try {
      return await this.#complete(input, labels);
    } catch (error) {
      labels.outcome = ServiceError.is(error) ? error.code : 'error';
      throw error;
    } finally {
      metrics.oauthCompletions.inc(labels);
    }
  }

  async #complete(
    input: CompleteAuthorizationInput,
    labels: { connector: string },
  ): Promise<CompleteAuthorizationResult> {
    const { db } = this.#context.database;
    const now = clockOf(this.#context);
    const connector = await this.#context.connectors.resolve(input.connectorKey);
    if (connector) labels.connector = connector.key;
    // An unknown key still goes through the state checks so a bad state is reported as such first.
    const claimed = await this.#states.claim(
      db,
      {
        token: input.state,
        userId: input.userId,
        connectorId: connector?.id ?? `unknown:${input.connectorKey}`,
        ...(input.browser && { browser: input.browser }),
      },
      now(),
    );
    const { record, codeVerifier } = claimed;
    if (!connector)
      throw new ServiceError('CFM_CONNECTOR_NOT_FOUND', `Connector "${input.connectorKey}" not found`);
    const descriptor = oauth2Descriptor(connector);
    const existing = record.connection_id
      ? await db
          .selectFrom('connections')
          .select('config')
          .where('id', '=', record.connection_id)
          .executeTakeFirst()
      : undefined;
    const config = record.config ?? existing?.config ?? {};
    // RFC 9207, after the state is spent: a response from the wrong issuer ends the attempt for good.
    checkIssuer(descriptor, config, input.callbackParams?.['iss']);
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
    const client = requireClient(connector);
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
    const grant = assessGrant({
      descriptor,
      requested: record.requested_scopes === null ? null : record.requested_scopes.split(' '),
      credentials: tokens.credentials,
    });
    const connectionId = await db.transaction().execute((transaction) =>
      saveAuthorizedConnection(transaction, this.#credentials, {
        connectorId: connector.id,
        record,
        config,
        tokens,
        grant,
        now: now(),
      }),
    );
    const logger = this.#context.logger ?? silentLogger;
    if (grant.status === 'active') {
      logger.info('oauth connection authorized', { connectionId, connector: connector.key });
    } else {
      logger.warn('oauth grant incomplete: connection stored as error', {
        connectionId,
        connector: connector.key,
      });
    }
    return {
      success: grant.status === 'active',
      status: grant.status,
      message:
        grant.status === 'active'
          ? `Connected to ${connector.definition.name}`
          : (grant.reason ?? 'The grant is incomplete'),
      connectionId,
      warnings: grant.warnings,
    };
  }
}
