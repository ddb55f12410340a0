import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared. The app issues a few dozen; the bound only matters for ad-hoc SQL. */
export const STATEMENT_CACHE_SIZE = 256;

interface PreparingDatabase {
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

/**
 * A better-sqlite3 database whose `prepare` reuses statements by SQL text (least recently used evicted).
 * Kysely's SQLite driver prepares every query afresh, and parsing + planning the SQL was a visible share
 * of a short request. A statement is safe to reuse: Kysely runs one query at a time on its single
 * connection, better-sqlite3 resets a statement after `all`/`run`, and SQLite re-prepares a statement by
 * itself when the schema changed. `iterate` (streaming) keeps a statement busy until the iterator ends,
 * so it always gets a statement of its own.
 */
export class StatementCachingDatabase implements SqliteDatabase {
  readonly #database: PreparingDatabase;
  readonly #statements = new Map<string, SqliteStatement>();
  readonly #capacity: number;

  constructor(database: PreparingDatabase, capacity = STATEMENT_CACHE_SIZE) {
    this.#database = database;
    this.#capacity = capacity;
  }

  /** How many statements are kept prepared now (for tests). */
  get size(): number {
    return this.#statements.size;
  }

  prepare(sql: string): SqliteStatement {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      // Map order is insertion order: moving a hit to the end makes the first key the least recently used.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const prepared = this.#database.prepare(sql);
    const statement: SqliteStatement = {
      reader: prepared.reader,
      all: (parameters) => prepared.all(parameters),
      run: (parameters) => prepared.run(parameters),
      iterate: (parameters) => this.#database.prepare(sql).iterate(parameters),
    };
    if (this.#statements.size >= this.#capacity) {
      const oldest = this.#statements.keys().next();
      if (oldest.done !== true) this.#statements.delete(oldest.value);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  close(): void {
    this.#statements.clear();
    this.#database.close();
  }
}
