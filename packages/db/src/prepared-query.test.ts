import { describe, expect, it } from 'vitest';
import { type Placeholders, prepareQuery } from './prepared-query.js';
import {
  insertConnection,
  insertConnector,
  insertUser,
  useMigratedDatabase,
} from './test/migrated-database.js';
import { testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

type ByUser = { userId: string; limit: number };

for (const dialect of DIALECTS) {
  describe(`prepareQuery (${dialect})`, () => {
    const database = useMigratedDatabase(dialect);

    it('answers what the same query built each time answers, for each set of parameters', async () => {
      const { db } = database;
      const connectors = [await insertConnector(db), await insertConnector(db), await insertConnector(db)];
      const alice = await insertUser(db);
      const bob = await insertUser(db);
      for (const connector of connectors) await insertConnection(db, alice.id, connector.id);
      await insertConnection(db, bob.id, connectors[0]!.id);

      const build = (userId: string, limit: number) =>
        db
          .selectFrom('connections')
          .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
          .select(['connections.id', 'connections.config', 'connections.created_at', 'connectors.enabled'])
          .where('connections.user_id', '=', userId)
          .where('connections.status', '=', 'pending') // a constant of the compiled query
          .orderBy('connections.id')
          .limit(limit);
      const prepared = prepareQuery(db, (p: Placeholders<ByUser>) => build(p.userId, p.limit));

      for (const [userId, limit] of [
        [alice.id, 10],
        [alice.id, 2],
        [bob.id, 10],
        ['nobody', 5],
      ] as const) {
        const rows = await prepared.execute({ userId, limit });
        expect(rows).toEqual(await build(userId, limit).execute());
      }
      // Results still pass the value conventions: JSON parsed, timestamps and booleans typed on both dialects.
      const [row] = await prepared.execute({ userId: bob.id, limit: 1 });
      expect(row).toMatchObject({ config: { site: 'example' }, enabled: true });
      expect(row?.created_at).toBeInstanceOf(Date);
    });

    it('refuses a parameter the query reads but does not use as a value', () => {
      const { db } = database;
      expect(() =>
        prepareQuery(db, (p: Placeholders<{ table: string }>) => {
          void p.table; // read, then not used
          return db.selectFrom('users').select('id');
        }),
      ).toThrow(/parameter "table"/);
    });
  });
}
