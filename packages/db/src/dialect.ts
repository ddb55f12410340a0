import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type Dialect as KyselyDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
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
}

export interface CreateDatabaseOptions {
  /** PostgreSQL pool size. Default 10. */
  poolMax?: number;
  /** PostgreSQL: how long to wait for a connection before failing. Default 5000 ms. */
  connectionTimeoutMillis?: number;
  /**
   * PostgreSQL: called when an idle pooled connection fails (server restart, terminated backend).
   * Without a listener `pg` would crash the process; the default emits a process warning.
   */
  onPoolError?: (error: Error) => void;
}

/**
 * Opens a database from a URL (see {@link parseDatabaseUrl} for the forms). Throws `DatabaseUrlError` on a
 * bad URL. Nothing is opened until the first query (use `ping()` to check the database is reachable).
 *
 * @example
 * const handle = createDatabase('sqlite:///./data/cfm.db');
 * await handle.ping();
 * const users = await handle.db.selectFrom('users').selectAll().execute();
 * await handle.close();
 */
export function createDatabase(url: string, options: CreateDatabaseOptions = {}): DatabaseHandle {
  const parsed = parseDatabaseUrl(url);
  const kyselyDialect =
    parsed.dialect === 'postgres'
      ? createPostgresDialect(parsed.connectionString!, options)
      : createSqliteDialect(parsed.filename!);
  const db = new Kysely<Database>({
    dialect: kyselyDialect,
    plugins: [new ValueConventionPlugin(parsed.dialect)],
  });
  let closed: Promise<void> | undefined;
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
  };
}

function createPostgresDialect(connectionString: string, options: CreateDatabaseOptions): KyselyDialect {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
  });
  pool.on('error', options.onPoolError ?? warnPoolError);
  return new PostgresDialect({ pool });
}

function warnPoolError(error: Error): void {
  process.emitWarning(`PostgreSQL idle connection failed: ${error.message}`, { code: 'CFM_DB_POOL_ERROR' });
}

function createSqliteDialect(filename: string): KyselyDialect {
  // Opened on first use, like the PostgreSQL pool, so a handle that is closed unused leaves nothing open.
  return new SqliteDialect({ database: async () => new StatementCachingDatabase(openSqliteFile(filename)) });
}

function openSqliteFile(filename: string): SqliteDatabase.Database {
  if (filename !== ':memory:') {
    mkdirSync(dirname(filename), { recursive: true });
  }
  const database = new SqliteDatabase(filename);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}
