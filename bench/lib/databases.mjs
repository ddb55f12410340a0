import { importBuilt } from './paths.mjs';

/**
 * The dialects to benchmark: SQLite always, PostgreSQL when `@cfm/db/testing` finds it reachable
 * (it prints `PostgreSQL suite SKIPPED: <reason>` otherwise; we print our own line too).
 */
export function benchDialects() {
  detected ??= detectDialects();
  return detected;
}

let detected;

async function detectDialects() {
  const { testDialects } = await importBuilt('packages/db/dist/testing/index.js');
  const dialects = await testDialects();
  if (!dialects.includes('postgres')) {
    process.stdout.write('PostgreSQL is not reachable (TEST_POSTGRES_URL): PostgreSQL variants SKIPPED\n');
  }
  return dialects;
}

/** A fresh migrated database of `dialect` (temp SQLite file or `cfm_test_*` PostgreSQL database). */
export async function freshDatabase(dialect) {
  const { createDatabase, migrateToLatest } = await importBuilt('packages/db/dist/index.js');
  const { createTestDatabase } = await importBuilt('packages/db/dist/testing/index.js');
  const testDatabase = await createTestDatabase(dialect);
  const handle = createDatabase(testDatabase.url, { poolMax: 10 });
  const migrated = await migrateToLatest(handle.db);
  if (migrated.error) {
    await handle.close();
    await testDatabase.drop();
    throw migrated.error;
  }
  return {
    url: testDatabase.url,
    handle,
    async close() {
      await handle.close();
      await testDatabase.drop();
    },
  };
}

/** Inserts rows in chunks (SQLite caps the number of bound parameters per statement). */
export async function insertInChunks(db, table, rows, chunkSize = 100) {
  for (let start = 0; start < rows.length; start += chunkSize) {
    await db
      .insertInto(table)
      .values(rows.slice(start, start + chunkSize))
      .execute();
  }
}
