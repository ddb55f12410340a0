import type SqliteDatabase from 'better-sqlite3';

/**
 * SQLite: a number that moves whenever any row of the file may have changed since it was last read, by
 * any process, this one included; `undefined` until the file is open. Two cheap reads on the handle's own
 * connection: `PRAGMA data_version` (moves when another connection commits; a few microseconds, no I/O)
 * and `total_changes()` (rows this connection inserted, updated or deleted, triggers and cascades
 * included, committed or not; no lock at all). Coarse (any write anywhere counts), never late: read it
 * *before* reading what is kept under it, and whatever the read returns is at least as new.
 */
export function sqliteDataGeneration(
  opened: () => SqliteDatabase.Database | undefined,
): () => number | undefined {
  let database: SqliteDatabase.Database | undefined;
  let dataVersion: SqliteDatabase.Statement | undefined;
  let totalChanges: SqliteDatabase.Statement | undefined;
  let last = { version: -1, changes: -1 };
  let generation = 0;
  return () => {
    const current = opened();
    if (current === undefined || !current.open) return undefined;
    if (current !== database) {
      database = current;
      dataVersion = current.prepare('PRAGMA data_version').pluck();
      totalChanges = current.prepare('select total_changes()').pluck();
      generation += 1;
      last = { version: -1, changes: -1 };
    }
    const version = dataVersion!.get() as number;
    const changes = totalChanges!.get() as number;
    if (version !== last.version || changes !== last.changes) {
      last = { version, changes };
      generation += 1;
    }
    return generation;
  };
}
