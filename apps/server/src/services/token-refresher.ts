import { metrics } from '../production/metrics.js';
import { clockOf, describeError, type EngineContext, silentLogger } from './engine-context.js';
import { cleanupOAuthStates } from './oauth-states-cleanup.js';
import { type CandidateCursor, selectRefreshCandidates } from './refresh-candidates.js';
import type { TokenManager } from './token-manager.js';

export interface TokenRefresherOptions {
  /** Seconds between runs. Default 60. */
  intervalSeconds?: number;
  /** Candidates read per query, and so at most held in memory at a time. Default 25. */
  batchSize?: number;
  /**
   * Refreshes in flight at once. Default 4. On PostgreSQL each holds a pooled connection for the length
   * of its provider call (the row lock), so keep it well below the pool size: requests need the rest.
   */
  concurrency?: number;
  /** A run ends after this many batches even if more are due; the next run goes on. Default 1,000. */
  maxBatchesPerRun?: number;
}

export interface RefreshRunSummary {
  /** Connections handed to the token manager (each at most once per run). */
  candidates: number;
  failed: number;
  statesDeleted: number;
  /** Candidate queries made. */
  batches: number;
}

/**
 * Keeps OAuth tokens fresh without traffic. Every interval one run pages through the credentials that
 * expire within the largest refresh margin (and whose backoff has passed), `batchSize` at a time, until
 * none is left (or `maxBatchesPerRun`), and hands each to the token manager, `concurrency` at a time; the
 * token manager decides precisely, takes the per-connection lock and records failures with their backoff.
 * Pages never revisit a row within a run (see {@link selectRefreshCandidates}). Each run also deletes
 * stale `oauth_states`.
 */
export class TokenRefresher {
  readonly #context: EngineContext;
  readonly #tokens: TokenManager;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #maxBatches: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RefreshRunSummary> | undefined;
  #stopping = false;

  constructor(context: EngineContext, tokens: TokenManager, options: TokenRefresherOptions = {}) {
    this.#context = context;
    this.#tokens = tokens;
    this.#intervalMs = (options.intervalSeconds ?? 60) * 1000;
    this.#batchSize = atLeastOne(options.batchSize ?? 25);
    this.#concurrency = atLeastOne(options.concurrency ?? 4);
    this.#maxBatches = atLeastOne(options.maxBatchesPerRun ?? 1000);
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      // A run still going is not doubled up; the next tick tries again.
      if (!this.#running) void this.runOnce();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Stops the timer and ends the run in progress early: no further candidate is taken, and this resolves
   * once the refreshes already in flight (at most `concurrency`) are done.
   */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping = true;
    try {
      await this.#running;
    } finally {
      this.#stopping = false;
    }
  }

  /** One run; never rejects (failures are logged and counted). */
  runOnce(): Promise<RefreshRunSummary> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<RefreshRunSummary> {
    const logger = this.#context.logger ?? silentLogger;
    const clock = clockOf(this.#context);
    const runStartedAt = clock();
    const summary: RefreshRunSummary = { candidates: 0, failed: 0, statesDeleted: 0, batches: 0 };
    const queue: string[] = [];
    let cursor: CandidateCursor | undefined;
    let exhausted = false;
    let fetching: Promise<void> | undefined;
    let fetchError: unknown;

    const fetchBatch = async () => {
      try {
        summary.batches += 1;
        const page = await selectRefreshCandidates(this.#context.database, {
          now: clock(),
          runStartedAt,
          limit: this.#batchSize,
          after: cursor,
        });
        queue.push(...page.connectionIds);
        cursor = page.next ?? cursor;
        // A short page is the last one; the bound keeps a run finite even if rows keep becoming due.
        exhausted = page.connectionIds.length < this.#batchSize || summary.batches >= this.#maxBatches;
      } catch (error) {
        fetchError = error;
        exhausted = true;
      }
    };
    // Workers share one queue; the one that finds it empty fetches the next page (the others wait for
    // that fetch) while refreshes already taken go on, so the pool does not drain at each page boundary.
    const take = async (): Promise<string | undefined> => {
      while (queue.length === 0) {
        if (exhausted || this.#stopping) return undefined;
        fetching ??= fetchBatch().finally(() => {
          fetching = undefined;
        });
        await fetching;
      }
      return this.#stopping ? undefined : queue.shift();
    };
    const work = async () => {
      for (let connectionId = await take(); connectionId !== undefined; connectionId = await take()) {
        summary.candidates += 1;
        try {
          await this.#tokens.refreshIfDue(connectionId);
        } catch (error) {
          summary.failed += 1;
          logger.warn('background token refresh failed', { connectionId, error: describeError(error) });
        }
      }
    };

    try {
      await Promise.all(Array.from({ length: this.#concurrency }, work));
      if (fetchError !== undefined) throw fetchError;
      summary.statesDeleted = await cleanupOAuthStates(this.#context.database.db, runStartedAt);
      metrics.refresherRuns.inc({ outcome: summary.failed === 0 ? 'ok' : 'partial' });
    } catch (error) {
      metrics.refresherRuns.inc({ outcome: 'failed' });
      logger.error('token refresher run failed', { error: describeError(error) });
    }
    return summary;
  }
}

function atLeastOne(value: number): number {
  return Number.isFinite(value) ? Math.max(1, Math.floor(value)) : 1;
}
