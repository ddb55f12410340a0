import {
  type AccountIdentity,
  ConnectorError,
  type Credentials,
  createConnectorContext,
  type SampleResult,
} from '@cfm/connector-sdk';
import type { ConnectionRow, ConnectionStatus } from '@cfm/db';
import { loadOwnedConnection, mergeMetadata } from './connector-access.js';
import type { ResolvedConnector } from './connector-resolver.js';
import { clockOf, describeError, type EngineContext, sdkOptionsOf, silentLogger } from './engine-context.js';
import { storedGrantProblem } from './oauth-grant-check.js';
import { ServiceError } from './service-error.js';
import type { TokenManager } from './token-manager.js';

export interface ConnectionTestResult {
  success: boolean;
  message: string;
  identity: AccountIdentity | null;
  sample_data: SampleResult | null;
}

export const SAMPLE_LIMIT = 5;

interface Verdict {
  result: ConnectionTestResult;
  /** The status to store, or undefined to keep the current one. */
  status?: ConnectionStatus;
  statusReason?: string | null;
  metadata?: Record<string, unknown>;
  /** Set when the check passed: the kind of credentials it used, and whether they hold a refresh token. */
  checkedWith?: { type: Credentials['type']; refreshToken: boolean };
}

/**
 * Runs a connector's `check` (and `fetchSample`, at most 5 items) against the provider with the
 * connection's fresh credentials and records what it learned. A 401 is retried once after a forced
 * refresh; a second refusal marks the connection `expired`. A 429 is reported as rate limiting, with the
 * status left alone. Missing credentials are an answer (`success: false`), not an error.
 */
export interface ConnectionTesterOptions {
  /**
   * How long one provider request of the check may take (`PROXY_TIMEOUT_MS`, as for the proxy and the
   * actions); the SDK retries a timed-out request twice. Default: the SDK's own bound.
   */
  timeoutMs?: number;
}

export class ConnectionTester {
  readonly #context: EngineContext;
  readonly #tokens: TokenManager;
  readonly #timeoutMs: number | undefined;

  constructor(context: EngineContext, tokens: TokenManager, options: ConnectionTesterOptions = {}) {
    this.#context = context;
    this.#tokens = tokens;
    this.#timeoutMs = options.timeoutMs;
  }

  async testConnection(input: { connectionId: string; userId: string }): Promise<ConnectionTestResult> {
    const { db } = this.#context.database;
    const connection = await loadOwnedConnection(db, input.connectionId, input.userId);
    const connector = await this.#context.connectors.resolveById(connection.connector_id);
    if (!connector)
      throw new ServiceError('CFM_CONNECTOR_NOT_LOADED', "The connection's connector is not loaded");
    const verdict = keepIncompleteGrant(
      connector,
      connection,
      await this.#run(connector, connection.id, connection.config, connection.metadata),
    );
    const now = clockOf(this.#context)();
    await db
      .updateTable('connections')
      .set({
        last_tested_at: now,
        updated_at: now,
        ...(verdict.status !== undefined && { status: verdict.status }),
        ...(verdict.statusReason !== undefined && { status_reason: verdict.statusReason }),
        ...(verdict.result.identity && { identity: { ...verdict.result.identity } }),
        ...(verdict.metadata && { metadata: mergeMetadata(connection.metadata, verdict.metadata) }),
      })
      .where('id', '=', connection.id)
      .execute();
    return verdict.result;
  }

  async #run(
    connector: ResolvedConnector,
    connectionId: string,
    config: Record<string, unknown>,
    metadata: Record<string, unknown>,
  ): Promise<Verdict> {
    let credentials: Credentials;
    try {
      credentials = await this.#tokens.getFreshCredentials(connectionId);
    } catch (error) {
      return fromRefreshError(error);
    }
    const attempt = (current: Credentials) => this.#check(connector, current, config, metadata);
    try {
      return await attempt(credentials);
    } catch (error) {
      if (!(ConnectorError.is(error) && error.reason === 'auth')) return fromCheckError(error, this.#context);
      if (credentials.type !== 'oauth2') {
        return failed(`The provider rejected the credentials (${describeStatus(error)})`, 'error');
      }
      // The access token may have been revoked or expired early: refresh once and retry.
      try {
        credentials = await this.#tokens.getFreshCredentials(connectionId, {
          rejectedAccessToken: credentials.accessToken,
        });
      } catch (refreshError) {
        return fromRefreshError(refreshError);
      }
      try {
        return await attempt(credentials);
      } catch (retryError) {
        if (ConnectorError.is(retryError) && retryError.reason === 'auth') {
          return failed(
            `Reconnect needed: the provider rejected the access token (${describeStatus(retryError)})`,
            'expired',
          );
        }
        return fromCheckError(retryError, this.#context);
      }
    }
  }

  async #check(
    connector: ResolvedConnector,
    credentials: Credentials,
    config: Record<string, unknown>,
    metadata: Record<string, unknown>,
  ): Promise<Verdict> {
    const context = createConnectorContext(connector.definition, {
      config,
      credentials,
      metadata,
      ...sdkOptionsOf(this.#context),
      ...(this.#timeoutMs !== undefined && { timeoutMs: this.#timeoutMs }),
    });
    const checked = await connector.definition.check(context);
    if (!isIdentity(checked?.identity)) {
      // A connector that trusted an odd answer (a 200 HTML page where JSON was due) is not a proof that
      // the account works, nor that it is broken: report it and leave the stored identity and status alone.
      return failed("The provider's answer to the identity check was not understood (no account id)");
    }
    let sample: SampleResult | null = null;
    let sampleNote = '';
    if (connector.definition.fetchSample) {
      try {
        const fetched = await connector.definition.fetchSample(context, { limit: SAMPLE_LIMIT });
        sample = { kind: fetched.kind, items: fetched.items.slice(0, SAMPLE_LIMIT) };
      } catch (error) {
        // The account works (check passed); say why the sample is missing rather than failing the test.
        sampleNote = ` (sample unavailable: ${ConnectorError.is(error) ? error.message : describeError(error)})`;
      }
    }
    return {
      result: {
        success: true,
        message: `${checked.message ?? `Connected as ${checked.identity.displayName ?? checked.identity.accountId}`}${sampleNote}`,
        identity: checked.identity,
        sample_data: sample,
      },
      status: 'active',
      statusReason: null,
      ...(checked.metadata && { metadata: checked.metadata }),
      checkedWith: {
        type: credentials.type,
        refreshToken: credentials.type === 'oauth2' && Boolean(credentials.refreshToken),
      },
    };
  }
}

/**
 * A passing check proves the credentials work, not that the grant is whole: a connection the OAuth callback
 * stored as `error` (a required scope or the refresh token missing) stays `error` while the stored grant
 * still lacks it, with the test answered `success: false` and why. An `active` connection keeps its
 * `status_reason` (the optional-scope warning); any other status becomes `active` with none.
 */
function keepIncompleteGrant(
  connector: ResolvedConnector,
  connection: ConnectionRow,
  verdict: Verdict,
): Verdict {
  const checkedWith = verdict.checkedWith;
  if (verdict.status !== 'active' || checkedWith === undefined) return verdict;
  if (connection.status === 'active') return { ...verdict, statusReason: undefined };
  const descriptor = connector.definition.auth.find((auth) => auth.type === 'oauth2');
  if (descriptor === undefined || checkedWith.type !== 'oauth2') return verdict;
  const problem = storedGrantProblem({
    descriptor,
    scopes: connection.scopes,
    hasRefreshToken: checkedWith.refreshToken,
    statusReason: connection.status_reason,
  });
  if (problem === null) return verdict;
  return {
    ...verdict,
    result: {
      ...verdict.result,
      success: false,
      message: `The account answers, but the grant is incomplete: ${problem}`,
    },
    status: 'error',
    statusReason: problem,
  };
}

const IDENTITY_TEXT_FIELDS = ['displayName', 'email', 'workspace', 'site'] as const;

/** What the API promises of an identity: an account id, and text (or nothing) in the other fields. */
function isIdentity(value: unknown): value is AccountIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const identity = value as Record<string, unknown>;
  if (typeof identity['accountId'] !== 'string' || identity['accountId'] === '') return false;
  return IDENTITY_TEXT_FIELDS.every((field) => {
    const text = identity[field];
    return text === undefined || text === null || typeof text === 'string';
  });
}

function failed(message: string, status?: ConnectionStatus): Verdict {
  return {
    result: { success: false, message, identity: null, sample_data: null },
    ...(status !== undefined && { status, statusReason: message }),
  };
}

function describeStatus(error: ConnectorError): string {
  return error.status !== undefined ? `HTTP ${error.status}` : (error.providerCode ?? error.reason);
}

function fromRefreshError(error: unknown): Verdict {
  if (!ServiceError.is(error)) throw error;
  if (error.code === 'CFM_CREDENTIALS_MISSING') return failed('No credentials: connect the account first');
  // The token manager already stored `expired` (or kept the status for a transient failure).
  return failed(error.message);
}

function fromCheckError(error: unknown, context: EngineContext): Verdict {
  if (ConnectorError.is(error)) {
    if (error.reason === 'rate_limited') {
      const wait =
        error.retryAfterMs !== undefined ? ` (retry after ${Math.ceil(error.retryAfterMs / 1000)} s)` : '';
      return failed(`Rate limited by the provider: try again later${wait}`);
    }
    if (error.reason === 'network' || (error.status !== undefined && error.status >= 500)) {
      return failed(`The provider is unavailable: ${error.message}`);
    }
    return failed(error.message, 'error');
  }
  if (ServiceError.is(error)) return failed(error.message);
  (context.logger ?? silentLogger).error('connection test failed unexpectedly', {
    error: describeError(error),
  });
  return failed('The connection test failed unexpectedly', 'error');
}
