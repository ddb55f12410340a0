import { metrics } from '../production/metrics.js';
import type { Executor } from './credential-store.js';
import { clockOf, describeError, type EngineContext, silentLogger } from './engine-context.js';
import { cleanupOAuthStates } from './oauth-states-cleanup.js';
import type { TokenManager } from './token-manager.js';
import { MAX_REFRESH_MARGIN_MS } from './token-refresh-policy.js';

export interface TokenRefresherOptions {
  /** Seconds between runs. Default 60. */
  intervalSeconds?: number;
  /** Connections refreshed per run. Default 25. */
  batchSize?: number;
}

export interface RefreshRunSummary {
  candidates: number;
  failed: number;
  statesDeleted: number;
}

/**
 * Keeps OAuth tokens fresh without traffic: every interval it picks a bounded batch of credentials that
 * expire within the largest refresh margin (and whose backoff has passed) and hands each to the token
 * manager, which decides precisely, takes the per-connection lock and records failures. On PostgreSQL the
 * candidate query skips rows another process is refreshing right now (`FOR UPDATE SKIP LOCKED`).
 * Each run also deletes stale `oauth_states`.
 */
export class TokenRefresher {
  readonly #context: EngineContext;
  readonly #tokens: TokenManager;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RefreshRunSummary> | undefined;

  constructor(context: EngineContext, tokens: TokenManager, options: TokenRefresherOptions = {}) {
    this.#context = context;
    this.#tokens = tokens;
    this.#intervalMs = (options.intervalSeconds ?? 60) * 1000;
    this.#batchSize = options.batchSize ?? 25;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      // A run still going is not doubled up; the next tick tries again.
      if (!this.#running) void this.runOnce();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for the batch in flight. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass; never rejects (failures are logged and counted). */
  runOnce(): Promise<RefreshRunSummary> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<RefreshRunSummary> {
    const logger = this.#context.logger ?? silentLogger;
    const now = clockOf(this.#context)();
    let candidates: string[] = [];
    let failed = 0;
    let statesDeleted = 0;
    try {
      candidates = await this.#candidates(now);
      for (const connectionId of candidates) {
        try {
          await this.#tokens.getFreshCredentials(connectionId);
        } catch (error) {
          failed += 1;
          logger.warn('background token refresh failed', { connectionId, error: describeError(error) });
        }
      }
      statesDeleted = await cleanupOAuthStates(this.#context.database.db, now);
      metrics.refresherRuns.inc({ outcome: failed === 0 ? 'ok' : 'partial' });
    } catch (error) {
      metrics.refresherRuns.inc({ outcome: 'failed' });
      logger.error('token refresher run failed', { error: describeError(error) });
    }
    return { candidates: candidates.length, failed, statesDeleted };
  }

  async #candidates(now: Date): Promise<string[]> {
    const { db, dialect } = this.#context.database;
    const horizon = new Date(now.getTime() + MAX_REFRESH_MARGIN_MS);
    const select = (executor: Executor) =>
      executor
        .selectFrom('credentials')
        .innerJoin('connections', 'connections.id', 'credentials.connection_id')
        .select('credentials.connection_id')
        .where('credentials.auth_type', '=', 'oauth2')
        .where('credentials.has_refresh_token', '=', true)
        .where('credentials.expires_at', '<=', horizon)
        .where((where) =>
          where.or([
            where('credentials.next_refresh_at', 'is', null),
            where('credentials.next_refresh_at', '<=', now),
          ]),
        )
        .where('connections.status', 'not in', ['expired', 'revoked'])
        .orderBy('credentials.expires_at')
        .limit(this.#batchSize);
    if (dialect !== 'postgres') return (await select(db).execute()).map((row) => row.connection_id);
    // The lock is released when this short transaction ends; it only serves to skip rows another
    // process's token manager holds (it is refreshing them right now).
    const rows = await db
      .transaction()
      .execute((transaction) => select(transaction).forUpdate('credentials').skipLocked().execute());
    return rows.map((row) => row.connection_id);
  }
}
