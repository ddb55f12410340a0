import { createDatabase } from '@cfm/db';
import { sql } from 'kysely';

export const ALL_TABLES = ['users', 'connectors', 'connections', 'credentials', 'oauth_states'] as const;

/**
 * Every row of every application table (`SELECT *`), keyed by table, read through a short-lived handle.
 * Also lists the tables the database really has, so a table added later is not silently skipped.
 */
export async function dumpDatabase(
  url: string,
): Promise<{ tables: string[]; rows: Record<string, unknown[]> }> {
  const handle = createDatabase(url);
  try {
    const tables =
      handle.dialect === 'postgres'
        ? (
            await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(
              handle.db,
            )
          ).rows.map((row) => row.name)
        : (
            await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
              handle.db,
            )
          ).rows.map((row) => row.name);
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) {
      rows[table] = (await sql`select * from ${sql.table(table)}`.execute(handle.db)).rows;
    }
    return { tables, rows };
  } finally {
    await handle.close();
  }
}
