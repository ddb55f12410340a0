import type { DatabaseHandle } from '@cfm/db';
import type { Executor } from './credential-store.js';
import { MAX_REFRESH_MARGIN_MS } from './token-refresh-policy.js';

/** Where the previous page of candidates ended: the last row's place in `(expires_at, connection_id)` order. */
export interface CandidateCursor {
  expiresAt: Date;
  connectionId: string;
}

export interface CandidateQuery {
  now: Date;
  /** When the run began: rows renewed since then (by this run or anyone) are left out. */
  runStartedAt: Date;
  limit: number;
  /** The previous page's end; undefined for the first page. */
  after: CandidateCursor | undefined;
}

export interface CandidatePage {
  connectionIds: string[];
  /** Where the next page starts; undefined when the page was empty. */
  next: CandidateCursor | undefined;
}

/**
 * One page of credentials worth handing to the token manager: OAuth 2 with a refresh token, expiring
 * within the largest refresh margin, past any backoff, on a connection that is neither expired nor revoked.
 * Pages follow `(expires_at, connection_id)` and start strictly after `after`, so a run visits each row at
 * most once even when the token manager leaves it due without a backoff (a token whose own margin is
 * shorter, a connector not loaded, a lost race) or its backoff ends before the run does: no endless run
 * on a failing provider. A row renewed during the run moves to its new expiry, which may still fall
 * inside the horizon (short-lived tokens): `last_refreshed_at` keeps it out of the rest of the run.
 *
 * On PostgreSQL the page skips rows another process holds right now (`FOR UPDATE SKIP LOCKED`: its token
 * manager is refreshing them); the lock ends with this short transaction.
 */
export async function selectRefreshCandidates(
  database: DatabaseHandle,
  { now, runStartedAt, limit, after }: CandidateQuery,
): Promise<CandidatePage> {
  const horizon = new Date(now.getTime() + MAX_REFRESH_MARGIN_MS);
  const select = (executor: Executor) => {
    let query = executor
      .selectFrom('credentials')
      .innerJoin('connections', 'connections.id', 'credentials.connection_id')
      .select(['credentials.connection_id', 'credentials.expires_at'])
      .where('credentials.auth_type', '=', 'oauth2')
      .where('credentials.has_refresh_token', '=', true)
      .where('credentials.expires_at', '<=', horizon)
      .where((where) =>
        where.or([
          where('credentials.next_refresh_at', 'is', null),
          where('credentials.next_refresh_at', '<=', now),
        ]),
      )
      .where((where) =>
        where.or([
          where('credentials.last_refreshed_at', 'is', null),
          where('credentials.last_refreshed_at', '<', runStartedAt),
        ]),
      )
      .where('connections.status', 'not in', ['expired', 'revoked']);
    if (after) {
      // A row-value comparison: both dialects read it as a range of the (expires_at, connection_id) index.
      query = query.where((where) =>
        where(
          where.refTuple('credentials.expires_at', 'credentials.connection_id'),
          '>',
          where.tuple(after.expiresAt, after.connectionId),
        ),
      );
    }
    return query.orderBy('credentials.expires_at').orderBy('credentials.connection_id').limit(limit);
  };
  const rows =
    database.dialect === 'postgres'
      ? await database.db
          .transaction()
          .execute((transaction) => select(transaction).forUpdate('credentials').skipLocked().execute())
      : await select(database.db).execute();
  const last = rows.at(-1);
  return {
    connectionIds: rows.map((row) => row.connection_id),
    // expires_at is never null here (`<= horizon` excludes null); the fallback only satisfies the type.
    next: last && { expiresAt: last.expires_at ?? horizon, connectionId: last.connection_id },
  };
}
