import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from './dialect.js';
import {
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  migrateDown,
  migrateToLatest,
  migrateToNone,
} from './migrate.js';
import { migrations } from './migrations/index.js';
import { createTestDatabase, type TestDatabase, testDialects } from './testing/index.js';

const DIALECTS = await testDialects();
const TABLES = [
  'audit_events',
  'connections',
  'connectors',
  'credentials',
  'oauth_states',
  'service_keys',
  'users',
];
const MIGRATION_NAMES = Object.keys(migrations);

async function appTables(handle: DatabaseHandle): Promise<string[]> {
  const tables = await handle.db.introspection.getTables();
  return tables
    .map((table) => table.name)
    .filter((name) => name !== MIGRATION_TABLE && name !== MIGRATION_LOCK_TABLE)
    .sort();
}

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    let testDatabase: TestDatabase;
    let handle: DatabaseHandle;

    async function open(): Promise<void> {
      testDatabase = await createTestDatabase(dialect);
      handle = createDatabase(testDatabase.url);
    }

    afterEach(async () => {
      await handle.close();
      await testDatabase.drop();
    });

    it('migrates up, down and up again', async () => {
      await open();
      const first = await migrateToLatest(handle.db);
      expect(first.error).toBeUndefined();
      expect(first.results.map((result) => [result.migrationName, result.status])).toEqual(
        MIGRATION_NAMES.map((name) => [name, 'Success']),
      );
      expect(await appTables(handle)).toEqual(TABLES);

      const down = await migrateDown(handle.db, MIGRATION_NAMES.length);
      expect(down.error).toBeUndefined();
      expect(down.results.map((result) => result.direction)).toEqual(MIGRATION_NAMES.map(() => 'Down'));
      expect(await appTables(handle)).toEqual([]);

      const again = await migrateToLatest(handle.db);
      expect(again.error).toBeUndefined();
      expect(await appTables(handle)).toEqual(TABLES);
    });

    it('does nothing when migrated twice', async () => {
      await open();
      expect((await migrateToLatest(handle.db)).error).toBeUndefined();
      const second = await migrateToLatest(handle.db);
      expect(second).toEqual({ results: [] });
      expect(await appTables(handle)).toEqual(TABLES);
    });

    it('reverts everything with migrateToNone, and migrateDown stops when nothing is left', async () => {
      await open();
      await migrateToLatest(handle.db);
      const none = await migrateToNone(handle.db);
      expect(none.error).toBeUndefined();
      expect(await appTables(handle)).toEqual([]);
      expect(await migrateDown(handle.db, 3)).toEqual({ results: [] });
    });

    it('reports a failing migration instead of throwing', async () => {
      await open();
      // A leftover table without the column the migration indexes makes the migration fail.
      await handle.db.schema.createTable('credentials').addColumn('id', 'text').execute();
      const outcome = await migrateToLatest(handle.db);
      expect(outcome.error).toBeInstanceOf(Error);
      expect(outcome.results.map((result) => [result.migrationName, result.status])).toEqual(
        MIGRATION_NAMES.map((name, index) => [name, index === 0 ? 'Error' : 'NotExecuted']),
      );
    });
  });
}

describe('an unreachable database', () => {
  it('makes migrateToLatest report an error instead of throwing', { timeout: 10_000 }, async () => {
    const unreachable = createDatabase('postgresql://postgres@127.0.0.1:1/postgres', {
      connectionTimeoutMillis: 2000,
    });
    const outcome = await migrateToLatest(unreachable.db);
    await unreachable.close();
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.results).toEqual([]);
  });
});
