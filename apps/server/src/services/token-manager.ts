import {
  ConnectorError,
  type Credentials,
  createOAuth2Client,
  type OAuth2Credentials,
} from '@cfm/connector-sdk';
import type { ConnectionRow, CredentialRow } from '@cfm/db';
import { sql } from 'kysely';
import { metrics, type TokenRefreshOutcome } from '../production/metrics.js';
import { recordAuditEvent } from './audit/audit-log.js';
import { mergeMetadata, requireClient } from './connector-access.js';
import { CredentialStore, type Executor } from './credential-store.js';
import { clockOf, describeError, type EngineContext, sdkOptionsOf, silentLogger } from './engine-context.js';
import { ServiceError, safeProviderError } from './service-error.js';
import { backoffMs, isExpired, needsRefresh, RECONNECT_REASON } from './token-refresh-policy.js';

export interface TokenManagerOptions {
  /** Upper bound for one refresh request. Default 15 s. */
  refreshTimeoutMs?: number;
}

export interface FreshCredentialsOptions {
  /**
   * The access token the provider just rejected (401): refresh unless the stored token already differs
   * (someone else refreshed meanwhile). Used by the connection tester's retry-after-refresh.
   */
  rejectedAccessToken?: string;
}

type Outcome = { ok: true; credentials: Credentials } | { ok: false; error: ServiceError };

/**
 * Hands out usable credentials and refreshes OAuth 2 tokens, one refresh per connection at a time:
 * concurrent callers in this process share one in-flight promise; across processes on PostgreSQL the
 * refresh runs inside a transaction holding `SELECT … FOR UPDATE` on the credentials row and re-reads it
 * first (a process that waited finds the row already refreshed and uses it). On SQLite (one file, one
 * process) the write is a compare-and-set on `updated_at`, so a lost race is detected, never overwritten.
 *
 * Failures: a refused refresh token (`invalid_grant`, Atlassian 403) marks the connection `expired` with
 * {@link RECONNECT_REASON} and throws `CFM_CONNECTION_EXPIRED`; the sealed credentials are kept (a reconnect
 * overwrites them, a revoke deletes them). Transient failures (network, 5xx, 429) keep the status, record
 * a bounded backoff (`refresh_failures`, `next_refresh_at`) and throw a retryable `CFM_TOKEN_REFRESH_FAILED`.
 */
export class TokenManager {
  readonly #context: EngineContext;
  readonly #store: CredentialStore;
  readonly #inFlight = new Map<string, Promise<Credentials>>();
  /** Reads (load + decrypt + maybe refresh) in progress per connection, shared by concurrent callers. */
  readonly #reads = new Map<string, Promise<Credentials>>();
  readonly #refreshTimeoutMs: number;

  constructor(context: EngineContext, options: TokenManagerOptions = {}) {
    this.#context = context;
    this.#store = new CredentialStore(context.vault);
    this.#refreshTimeoutMs = options.refreshTimeoutMs ?? 15_000;
  }

  /**
   * Decrypted credentials for an outbound call, refreshed first when due. `CFM_CREDENTIALS_MISSING` when none.
   * Concurrent callers for one connection share one read of the row (and the refresh it may start), so a
   * burst costs one query and one decryption. A caller that saw a token rejected never joins a shared
   * read, which could hand back that very token; it reads the row itself.
   */
  getFreshCredentials(connectionId: string, options: FreshCredentialsOptions = {}): Promise<Credentials> {
    if (options.rejectedAccessToken !== undefined) {
      return this.#read(connectionId, options.rejectedAccessToken);
    }
    const running = this.#reads.get(connectionId);
    if (running) return running;
    const read = this.#read(connectionId, undefined).finally(() => {
      if (this.#reads.get(connectionId) === read) this.#reads.delete(connectionId);
    });
    this.#reads.set(connectionId, read);
    return read;
  }

  /**
   * For the background refresher, whose candidates are most likely due: refreshes when due and returns the
   * credentials either way, deciding only under the lock (PostgreSQL) or on the one read before the
   * compare-and-set (SQLite), without the plain read `getFreshCredentials` makes first. Joins a refresh
   * already in flight for the connection; callers of `getFreshCredentials` join this one in turn.
   */
  refreshIfDue(connectionId: string): Promise<Credentials> {
    return this.#refreshOnce(connectionId, undefined);
  }

  async #read(connectionId: string, rejectedAccessToken: string | undefined): Promise<Credentials> {
    const stored = await this.#store.load(this.#context.database.db, connectionId);
    if (!stored) throw missing(connectionId);
    const now = clockOf(this.#context)();
    if (!needsRefresh(stored.row, stored.credentials, now, rejectedAccessToken)) return stored.credentials;
    return this.#refreshOnce(connectionId, rejectedAccessToken);
  }

  #refreshOnce(connectionId: string, rejectedAccessToken: string | undefined): Promise<Credentials> {
    const running = this.#inFlight.get(connectionId);
    if (running) return running;
    const refresh = this.#refresh(connectionId, rejectedAccessToken).finally(() => {
      this.#inFlight.delete(connectionId);
      // Callers arriving after the refresh wrote must read the new row, not join a read begun before it.
      this.#reads.delete(connectionId);
    });
    this.#inFlight.set(connectionId, refresh);
    return refresh;
  }

  async #refresh(connectionId: string, rejectedAccessToken: string | undefined): Promise<Credentials> {
    const { db, dialect } = this.#context.database;
    let outcome: Outcome;
    if (dialect === 'postgres') {
      outcome = await db.transaction().execute(async (transaction) => {
        const row = await transaction
          .selectFrom('credentials')
          .selectAll()
          .where('connection_id', '=', connectionId)
          .forUpdate()
          .executeTakeFirst();
        return this.#refreshLocked(transaction, row, rejectedAccessToken, false);
      });
    } else {
      const row = await db
        .selectFrom('credentials')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .executeTakeFirst();
      outcome = await this.#refreshLocked(db, row, rejectedAccessToken, true);
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.credentials;
  }

  /** Runs with the row locked (PostgreSQL) or with a compare-and-set write (SQLite). Returns, never throws. */
  async #refreshLocked(
    executor: Executor,
    row: CredentialRow | undefined,
    rejectedAccessToken: string | undefined,
    compareAndSet: boolean,
  ): Promise<Outcome> {
    if (!row) return { ok: false, error: missing('') };
    const now = clockOf(this.#context)();
    const current = this.#store.open(row);
    // Another process (or an earlier caller) may have refreshed while we waited for the lock.
    if (!needsRefresh(row, current, now, rejectedAccessToken) || current.type !== 'oauth2') {
      return { ok: true, credentials: current };
    }
    const connection = await executor
      .selectFrom('connections')
      .selectAll()
      .where('id', '=', row.connection_id)
      .executeTakeFirst();
    if (!connection) return { ok: false, error: missing(row.connection_id) };
    if (connection.status === 'expired' && connection.status_reason === RECONNECT_REASON) {
      return { ok: false, error: expiredError(row.connection_id) };
    }
    const backingOff = row.next_refresh_at !== null && row.next_refresh_at.getTime() > now.getTime();
    if (backingOff && rejectedAccessToken === undefined) {
      if (!isExpired(row, now)) return { ok: true, credentials: current };
      const retryAfterMs = (row.next_refresh_at as Date).getTime() - now.getTime();
      return { ok: false, error: transientError(row.refresh_error, true, retryAfterMs) };
    }
    try {
      const tokens = await this.#callProvider(connection, current);
      const credentials: OAuth2Credentials = { ...tokens.credentials };
      // Providers that do not rotate omit the refresh token; the old one stays valid.
      if (!credentials.refreshToken && current.refreshToken) credentials.refreshToken = current.refreshToken;
      const written = await this.#store.replace(
        executor,
        row.connection_id,
        credentials,
        now,
        compareAndSet ? row.updated_at : undefined,
      );
      if (!written) return this.#afterLostRace(executor, row.connection_id);
      if (tokens.metadata) {
        await executor
          .updateTable('connections')
          .set({ metadata: mergeMetadata(connection.metadata, tokens.metadata), updated_at: now })
          .where('id', '=', connection.id)
          .execute();
      }
      this.#logger().info('oauth token refreshed', { connectionId: connection.id });
      return { ok: true, credentials };
    } catch (error) {
      return { ok: false, error: await this.#recordFailure(executor, row, connection, error, now) };
    }
  }

  async #callProvider(connection: ConnectionRow, credentials: OAuth2Credentials) {
    const connector = await this.#context.connectors.resolveById(connection.connector_id);
    if (!connector) {
      throw new ServiceError('CFM_CONNECTOR_NOT_LOADED', "The connection's connector is not loaded");
    }
    const oauth = createOAuth2Client(connector.definition, {
      client: requireClient(connector),
      config: connection.config,
      signal: AbortSignal.timeout(this.#refreshTimeoutMs),
      ...sdkOptionsOf(this.#context),
    });
    try {
      const tokens = await oauth.refresh({ credentials });
      metrics.tokenRefreshes.inc({ connector: connector.key, outcome: 'success' });
      return tokens;
    } catch (error) {
      metrics.tokenRefreshes.inc({ connector: connector.key, outcome: refreshOutcome(error) });
      throw error;
    }
  }

  async #afterLostRace(executor: Executor, connectionId: string): Promise<Outcome> {
    const stored = await this.#store.load(executor, connectionId);
    if (stored && !needsRefresh(stored.row, stored.credentials, clockOf(this.#context)())) {
      return { ok: true, credentials: stored.credentials };
    }
    return { ok: false, error: transientError('concurrent_refresh', true, 1000) };
  }

  async #recordFailure(
    executor: Executor,
    row: CredentialRow,
    connection: ConnectionRow,
    error: unknown,
    now: Date,
  ): Promise<ServiceError> {
    if (ServiceError.is(error)) return error;
    const providerCode = ConnectorError.is(error) ? safeProviderError(error.providerCode) : undefined;
    if (ConnectorError.is(error) && error.reason === 'auth') {
      await executor
        .updateTable('connections')
        .set({ status: 'expired', status_reason: RECONNECT_REASON, updated_at: now })
        .where('id', '=', connection.id)
        .execute();
      await executor
        .updateTable('credentials')
        .set({ refresh_error: providerCode ?? 'auth', next_refresh_at: null, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      this.#logger().warn('oauth refresh token rejected; connection needs a reconnect', {
        connectionId: connection.id,
        providerCode,
      });
      this.#auditRefreshFailure(connection, { error: providerCode ?? 'auth', connection_expired: true });
      return expiredError(connection.id, providerCode);
    }
    const retryable = ConnectorError.is(error) ? error.retryable : true;
    const failures = row.refresh_failures + 1;
    const delay = backoffMs(failures, ConnectorError.is(error) ? error.retryAfterMs : undefined);
    const errorName = providerCode ?? (ConnectorError.is(error) ? error.reason : describeError(error));
    await executor
      .updateTable('credentials')
      .set({
        refresh_failures: sql<number>`refresh_failures + 1`,
        next_refresh_at: new Date(now.getTime() + delay),
        refresh_error: errorName,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
    this.#logger().warn('oauth token refresh failed', {
      connectionId: connection.id,
      error: errorName,
      failures,
    });
    this.#auditRefreshFailure(connection, { error: errorName, failures, retry_in_ms: delay });
    return transientError(errorName, retryable, delay, providerCode);
  }

  #logger() {
    return this.#context.logger ?? silentLogger;
  }

  /** In the background, outside any transaction: the audit trail never delays or fails a refresh. */
  #auditRefreshFailure(connection: ConnectionRow, detail: Record<string, unknown>): void {
    const { db } = this.#context.database;
    void this.#context.connectors
      .resolveById(connection.connector_id)
      .catch(() => null) // the key is a nicety; the event is recorded without it
      .then((connector) =>
        recordAuditEvent(db, {
          action: 'connection.refresh_failed',
          outcome: 'failure',
          actor: { type: 'system', id: null, label: 'token-manager' },
          connectionId: connection.id,
          connectorKey: connector?.key ?? null,
          detail,
        }),
      );
  }
}

function refreshOutcome(error: unknown): TokenRefreshOutcome {
  if (!ConnectorError.is(error)) return 'failed';
  if (error.reason === 'auth') return 'rejected';
  return error.retryable ? 'retryable' : 'failed';
}

function missing(connectionId: string): ServiceError {
  const which = connectionId ? ` for connection "${connectionId}"` : '';
  return new ServiceError('CFM_CREDENTIALS_MISSING', `No credentials${which}: connect the account first`);
}

function expiredError(connectionId: string, providerCode?: string): ServiceError {
  return new ServiceError('CFM_CONNECTION_EXPIRED', `${RECONNECT_REASON} (connection "${connectionId}")`, {
    ...(providerCode !== undefined && { providerCode }),
  });
}

function transientError(
  errorName: string | null,
  retryable: boolean,
  retryAfterMs: number,
  providerCode?: string,
): ServiceError {
  const detail = errorName ? ` (${errorName})` : '';
  return new ServiceError('CFM_TOKEN_REFRESH_FAILED', `The token refresh failed${detail}: try again later`, {
    retryable,
    retryAfterMs,
    ...(providerCode !== undefined && { providerCode }),
  });
}
