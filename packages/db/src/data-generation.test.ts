import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import { insertConnector, insertUser } from './test/migrated-database.js';
import { createTestDatabase, type TestDatabase, testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(`database generation (${dialect})`, () => {
    let testDatabase: TestDatabase;
    let reader: DatabaseHandle; // the process keeping something in memory
    let writer: DatabaseHandle; // another process on the same database

    beforeAll(async () => {
      testDatabase = await createTestDatabase(dialect);
      reader = createDatabase(testDatabase.url);
      writer = createDatabase(testDatabase.url);
      const outcome = await migrateToLatest(writer.db);
      if (outcome.error !== undefined) throw outcome.error;
    });

    afterAll(async () => {
      await reader.close();
      await writer.close();
      await testDatabase.drop();
    });

    if (dialect === 'postgres') {
      it('is always unknown: nothing may be reused on its word', async () => {
        await reader.ping();
        expect(reader.generation()).toBeUndefined();
        await insertUser(reader.db);
        expect(reader.generation()).toBeUndefined();
      });
      return;
    }

    it('is unknown until the file is open', async () => {
      const unopened = createDatabase(testDatabase.url);
      expect(unopened.generation()).toBeUndefined();
      await unopened.ping();
      expect(unopened.generation()).toEqual(expect.any(Number));
      await unopened.close();
      expect(unopened.generation()).toBeUndefined();
    });

    it('holds while nothing is written, reads included', async () => {
      await reader.ping();
      const start = reader.generation();
      await reader.db.selectFrom('connectors').selectAll().execute();
      await reader.db
        .updateTable('users')
        .set({ email: 'nobody@example.com' })
        .where('id', '=', 'none')
        .execute();
      expect(reader.generation()).toBe(start);
    });

    it("moves after the handle's own write", async () => {
      const start = reader.generation();
      await insertConnector(reader.db);
      const afterInsert = reader.generation();
      expect(afterInsert).not.toBe(start);
      expect(reader.generation()).toBe(afterInsert);
    });

    it('moves after another connection commits', async () => {
      const start = reader.generation();
      await insertUser(writer.db);
      expect(reader.generation()).not.toBe(start);
    });

    it('moves after a write that was rolled back (it cannot tell, so it errs towards reading again)', async () => {
      const start = reader.generation();
      await reader.db
        .transaction()
        .execute(async (transaction) => {
          await insertUser(transaction);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(reader.generation()).not.toBe(start);
    });
  });
}
