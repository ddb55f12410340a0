import { randomUUID } from 'node:crypto';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '@cfm/db';
import { createTestDatabase, type TestDatabase, testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConnections } from './connections.js';

const DIALECTS = await testDialects();
const CONNECTORS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

for (const dialect of DIALECTS) {
  describe(`listConnections (${dialect})`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    const userId = randomUUID();
    const otherUserId = randomUUID();
    const newestFirst: string[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      handle = createDatabase(database.url);
      const migrated = await migrateToLatest(handle.db);
      if (migrated.error !== undefined) throw migrated.error;
      await handle.db
        .insertInto('users')
        .values([
          { id: userId, subject: 'lister', email: 'lister@example.com' },
          { id: otherUserId, subject: 'other', email: 'other@example.com' },
        ])
        .execute();
      const start = Date.now();
      for (const [index, key] of CONNECTORS.entries()) {
        const connectorId = randomUUID();
        await handle.db
          .insertInto('connectors')
          .values({
            id: connectorId,
            key,
            name: key,
            description: '',
            source: 'package',
            auth_type: 'api_key',
            config_schema: {},
          })
          .execute();
        const createdAt = new Date(start + index * 1000);
        const id = randomUUID();
        newestFirst.unshift(id);
        await handle.db
          .insertInto('connections')
          .values([
            {
              id,
              user_id: userId,
              connector_id: connectorId,
              config: {},
              status: index % 2 === 0 ? 'active' : 'pending',
              created_at: createdAt,
              updated_at: createdAt,
            },
            {
              id: randomUUID(),
              user_id: otherUserId,
              connector_id: connectorId,
              config: {},
              status: 'active',
              created_at: createdAt,
              updated_at: createdAt,
            },
          ])
          .execute();
      }
    });

    afterAll(async () => {
      await handle?.close();
      await database?.drop();
    });

    it('pages newest first with the total of all matching rows', async () => {
      const first = await listConnections(handle, userId, { limit: 2 });
      expect(first).toMatchObject({ total: 5, limit: 2, offset: 0 });
      expect(first.items.map((item) => item.id)).toEqual(newestFirst.slice(0, 2));
      const last = await listConnections(handle, userId, { limit: 2, offset: 4 });
      expect(last).toMatchObject({ total: 5, offset: 4 });
      expect(last.items.map((item) => item.id)).toEqual(newestFirst.slice(4));
    });

    it('counts the filtered rows, not the whole table', async () => {
      const active = await listConnections(handle, userId, { status: 'active' });
      expect(active.total).toBe(3);
      expect(active.items.every((item) => item.status === 'active')).toBe(true);
      const one = await listConnections(handle, userId, { connector: 'gamma' });
      expect(one).toMatchObject({ total: 1, items: [{ connector_key: 'gamma' }] });
    });

    it('tells the total on a page past the end, and 0 when nothing matches', async () => {
      expect(await listConnections(handle, userId, { limit: 2, offset: 10 })).toEqual({
        items: [],
        total: 5,
        limit: 2,
        offset: 10,
      });
      expect(await listConnections(handle, userId, { connector: 'nope' })).toMatchObject({
        items: [],
        total: 0,
      });
      expect(await listConnections(handle, randomUUID(), {})).toMatchObject({ items: [], total: 0 });
    });
  });
}
