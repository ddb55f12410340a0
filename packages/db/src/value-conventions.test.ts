import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  insertConnection,
  insertConnector,
  insertUser,
  useMigratedDatabase,
} from './test/migrated-database.js';
import { testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    const database = useMigratedDatabase(dialect);

    it('fills defaults with the same types as written values', async () => {
      const user = await insertUser(database.db);
      expect(user.role).toBe('user');
      expect(user.created_at).toBeInstanceOf(Date);
      expect(Math.abs(user.created_at.getTime() - Date.now())).toBeLessThan(60_000);

      const connector = await insertConnector(database.db);
      expect(connector.enabled).toBe(true);
      expect(connector.load_status).toBe('loaded');

      const connection = await insertConnection(database.db, user.id, connector.id);
      expect(connection.metadata).toEqual({});
      expect(connection.status).toBe('pending');
      expect(connection.identity).toBeNull();
      expect(connection.last_tested_at).toBeNull();
    });

    it('round-trips Dates, JSON objects and arrays, and booleans through returningAll and selectAll', async () => {
      const user = await insertUser(database.db);
      const connector = await insertConnector(database.db);
      expect(connector.categories).toEqual(['productivity', 'chat']);
      expect(connector.auth).toEqual({ type: 'oauth2', scopes: { required: ['read'] } });

      const testedAt = new Date('2026-03-04T05:06:07.089Z');
      const identity = { accountId: 'a-1', nested: { list: [1, 'two', null, true] }, text: 'é "quoted"' };
      const inserted = await database.db
        .insertInto('connections')
        .values({
          id: randomUUID(),
          user_id: user.id,
          connector_id: connector.id,
          config: { site: 'eu', flags: [true, false] },
          identity,
          scopes: ['read', 'write'],
          metadata: { cloudId: 'c-1' },
          last_tested_at: testedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      expect(inserted.identity).toEqual(identity);
      expect(inserted.scopes).toEqual(['read', 'write']);
      expect(inserted.last_tested_at).toEqual(testedAt);

      const selected = await database.db
        .selectFrom('connections')
        .selectAll()
        .where('id', '=', inserted.id)
        .executeTakeFirstOrThrow();
      expect(selected).toEqual(inserted);
      expect(selected.config).toEqual({ site: 'eu', flags: [true, false] });
      expect(selected.metadata).toEqual({ cloudId: 'c-1' });
      expect(selected.created_at).toBeInstanceOf(Date);
    });

    it('converts columns selected from joins', async () => {
      const user = await insertUser(database.db);
      const connector = await insertConnector(database.db);
      const connection = await insertConnection(database.db, user.id, connector.id);
      const expiresAt = new Date('2030-01-01T00:00:00.000Z');
      await database.db
        .insertInto('credentials')
        .values({
          id: randomUUID(),
          connection_id: connection.id,
          ciphertext: 'v1:ciphertext',
          key_id: 'key-1',
          auth_type: 'oauth2',
          expires_at: expiresAt,
          has_refresh_token: false,
          scopes: [],
          last_refreshed_at: null,
          next_refresh_at: null,
          refresh_error: null,
        })
        .execute();

      const row = await database.db
        .selectFrom('connections')
        .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
        .innerJoin('credentials', 'credentials.connection_id', 'connections.id')
        .selectAll('credentials')
        .select(['connectors.categories', 'connectors.enabled', 'connections.config'])
        .where('connections.id', '=', connection.id)
        .executeTakeFirstOrThrow();
      expect(row.expires_at).toEqual(expiresAt);
      expect(row.has_refresh_token).toBe(false);
      expect(row.scopes).toEqual([]);
      expect(row.categories).toEqual(['productivity', 'chat']);
      expect(row.enabled).toBe(true);
      expect(row.config).toEqual({ site: 'example' });
      expect(row.created_at).toBeInstanceOf(Date);

      const all = await database.db
        .selectFrom('connections')
        .innerJoin('connectors', 'connectors.id', 'connections.connector_id')
        .selectAll()
        .where('connections.id', '=', connection.id)
        .executeTakeFirstOrThrow();
      expect(all.enabled).toBe(true);
      expect(all.updated_at).toBeInstanceOf(Date);
    });

    it('converts values in updates and comparisons', async () => {
      const connector = await insertConnector(database.db);
      const updatedAt = new Date('2027-07-07T07:07:07.007Z');
      const updated = await database.db
        .updateTable('connectors')
        .set({ enabled: false, categories: ['crm'], custom_definition: { steps: [] }, updated_at: updatedAt })
        .where('id', '=', connector.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      expect(updated.enabled).toBe(false);
      expect(updated.categories).toEqual(['crm']);
      expect(updated.custom_definition).toEqual({ steps: [] });
      expect(updated.updated_at).toEqual(updatedAt);

      const disabled = await database.db
        .selectFrom('connectors')
        .select('id')
        .where('enabled', '=', false)
        .where('updated_at', '>=', new Date('2027-07-07T07:07:07.000Z'))
        .where('updated_at', '<', new Date('2027-07-07T07:07:08.000Z'))
        .where('id', 'in', [connector.id, randomUUID()])
        .execute();
      expect(disabled).toEqual([{ id: connector.id }]);
    });

    it('reads back database-filled timestamps exactly, so they can be compared with what was read', async () => {
      const user = await insertUser(database.db);
      const sameInstant = await database.db
        .selectFrom('users')
        .select('id')
        .where('id', '=', user.id)
        .where('created_at', '=', user.created_at)
        .where('updated_at', '<=', user.updated_at)
        .execute();
      const later = await database.db
        .selectFrom('users')
        .select('id')
        .where('id', '=', user.id)
        .where('created_at', '>', user.created_at)
        .execute();
      expect(sameInstant).toEqual([{ id: user.id }]);
      expect(later).toEqual([]);
    });

    it('orders written timestamps chronologically', async () => {
      const connector = await insertConnector(database.db);
      const ids: string[] = [];
      // Different years, hours and milliseconds: text comparison on SQLite must agree with time order.
      for (const iso of [
        '2031-01-01T00:00:00.001Z',
        '2030-12-31T23:59:59.999Z',
        '2030-06-01T10:00:00.000Z',
      ]) {
        const user = await insertUser(database.db);
        const connection = await insertConnection(database.db, user.id, connector.id);
        await database.db
          .updateTable('connections')
          .set({ last_tested_at: new Date(iso) })
          .where('id', '=', connection.id)
          .execute();
        ids.push(connection.id);
      }
      const ordered = await database.db
        .selectFrom('connections')
        .select(['id', 'last_tested_at'])
        .where('connector_id', '=', connector.id)
        .orderBy('last_tested_at')
        .execute();
      expect(ordered.map((row) => row.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(ordered[0]?.last_tested_at).toEqual(new Date('2030-06-01T10:00:00.000Z'));
    });
  });
}
