import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type SqliteDatabase from 'better-sqlite3';
import { Kysely, type Dialect as KyselyDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { type ChangeFeed, postgresChangeFeed, sqliteChangeFeed } from './change-feed.js';
import { sqliteDataGeneration } from './data-generation.js';
import type { Database } from './database.js';
import { sendNamedStatements } from './named-statements.js';
import { type Dialect, parseDatabaseUrl } from './parse-database-url.js';
import { StatementCachingDatabase } from './statement-cache.js';
import { ValueConventionPlugin } from './value-convention-plugin.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Runs `select 1`; rejects when the database cannot be reached. */
  ping(): Promise<void>;
  /** Closes the pool (PostgreSQL) or the file (SQLite). */
  close(): Promise<void>;
  /** PostgreSQL pool use right now (for metrics); undefined on SQLite, which has no pool. */
  poolStats?(): PoolStats | undefined;
  /**
   * Starts watching for changes of the `connectors` table made by other processes (see {@link ChangeFeed});
   * the caller closes it. On PostgreSQL it holds one connection of its own.
   */
  watchConnectors(options?: { onError?: (error: Error) => void }): ChangeFeed;
  /**
   * SQLite: a number that moves whenever any row may have changed, by this process or another (see
   * `sqliteDataGeneration`), so what was read under one number may be answered again while it holds; read
   * it before the rows. PostgreSQL: always `undefined` (telling would cost a round trip, which is what a
   * read costs): nothing may be reused on its word.
   */
  generation(): number | undefined;
}

export interface PoolStats {
  /** Connections open (idle and in use). */
  total: number;
  idle: number;
  /** Queries queued for a connection because all `poolMax` are in use. */
  waiting: number;
}

export interface CreateDatabaseOptions {
  /** PostgreSQL pool size. Default 10. */
  poolMax?: number;
  /** PostgreSQL: how long to wait for a connection before failing. Default 5000 ms. */
  connectionTimeoutMillis?: number;
  /**
   * PostgreSQL: called once per failure of a pooled connection, idle or in use (server restart,
   * `pg_terminate_backend`, network loss). The broken connection is dropped and the next query opens a
   * new one; a query that was running rejects on its own. Without a listener `pg` would crash the
   * process; the default emits a process warning.
   */
  onPoolError?: (error: Error) => void;
  /**
   * PostgreSQL: send the queries of `prepareQuery` as named (server-side prepared) statements, parsed and
   * planned once per connection. Default true. Turn it off behind a pooler that cannot keep a statement
   * across transactions (PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`).
   */
  namedStatements?: boolean;
}

/**
 * Opens a database from a URL (see {@link parseDatabaseUrl} for the forms). Throws `DatabaseUrlError` on a
 * bad URL. Nothing is opened until the first query (use `ping()` to check the database is reachable), and
 * the driver (`pg` or `better-sqlite3`) is only imported then: a process never loads the one it does not use.
 *
 * @example
 * const handle = createDatabase('sqlite:///./data/cfm.db');
 * await handle.ping();
 * const users = await handle.db.selectFrom('users').selectAll().execute();
 * await handle.close();
 */
export function createDatabase(url: string, options: CreateDatabaseOptions = {}): DatabaseHandle {
  const parsed = parseDatabaseUrl(url);
  const sqlite: { opened?: SqliteDatabase.Database } = {};
  const postgres =
    parsed.dialect === 'postgres' ? createPostgresDialect(parsed.connectionString!, options) : undefined;
  const db = new Kysely<Database>({
    dialect: postgres?.dialect ?? createSqliteDialect(parsed.filename!, sqlite),
    plugins: [new ValueConventionPlugin(parsed.dialect)],
  });
  let closed: Promise<void> | undefined;
  const generation =
    parsed.dialect === 'sqlite' ? sqliteDataGeneration(() => sqlite.opened) : () => undefined;
  return {
    db,
    dialect: parsed.dialect,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close() {
      closed ??= db.destroy();
      return closed;
    },
    poolStats() {
      return postgres?.poolStats();
    },
    watchConnectors(watchOptions = {}) {
      return parsed.dialect === 'postgres'
        ? postgresChangeFeed({ connectionString: parsed.connectionString!, ...watchOptions })
        : sqliteChangeFeed(() => sqlite.opened);
    },
    generation,
  };
}

const NO_POOL_YET: PoolStats = Object.freeze({ total: 0, idle: 0, waiting: 0 });

/** A PostgreSQL dialect whose pool (and `pg` itself) is created by the first query. */
function createPostgresDialect(
  connectionString: string,
  options: CreateDatabaseOptions,
): { dialect: KyselyDialect; poolStats(): PoolStats } {
  let pool: pg.Pool | undefined;
  const createPool = async (): Promise<pg.Pool> => {
    const { default: postgres } = await import('pg');
    pool = new postgres.Pool({
      connectionString,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    });
    const report = reportOncePerClient(options.onPoolError ?? warnPoolError);
    // The pool listens to its idle clients only: a client checked out by a query (or a transaction) that
    // loses its backend emits 'error' with no listener, which ends the process. So every client gets one.
    pool.on('connect', (client) => {
      client.on('error', (error: Error) => report(client, error));
      if (options.namedStatements !== false) sendNamedStatements(client);
    });
    pool.on('error', (error, client) => report(client, error));
    return pool;
  };
  return {
    dialect: new PostgresDialect({ pool: createPool }),
    // Read by the server's metrics, which register their gauges when this is not undefined.
    poolStats: () =>
      pool === undefined
        ? NO_POOL_YET
        : { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
  };
}

/**
 * A lost backend says so twice (the server's "terminating connection", then the closed socket), and an
 * idle client's failure reaches both listeners above: report the first failure of each client.
 */
function reportOncePerClient(listener: (error: Error) => void): (client: object, error: Error) => void {
  const failed = new WeakSet<object>();
  return (client, error) => {
    if (failed.has(client)) return;
    failed.add(client);
    listener(error);
  };
}

function warnPoolError(error: Error): void {
  process.emitWarning(`PostgreSQL connection failed: ${error.message}`, { code: 'CFM_DB_POOL_ERROR' });
}

function createSqliteDialect(filename: string, holder: { opened?: SqliteDatabase.Database }): KyselyDialect {
  // Opened on first use, like the PostgreSQL pool, so a handle that is closed unused leaves nothing open.
  return new SqliteDialect({
    database: async () => {
      holder.opened = await openSqliteFile(filename); // the connection whose `data_version` the change feed reads
      return new StatementCachingDatabase(holder.opened);
    },
  });
}

async function openSqliteFile(filename: string): Promise<SqliteDatabase.Database> {
  if (filename !== ':memory:') {
    mkdirSync(dirname(filename), { recursive: true });
  }
  const { default: Sqlite } = await import('better-sqlite3');
  const database = new Sqlite(filename);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}
