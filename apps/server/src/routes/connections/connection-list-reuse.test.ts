import { createDatabase } from '@cfm/db';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConnections } from '../../services/connections.js';
import { createTestApp, type TestApp, tokenFor } from '../../test/helpers.js';

const DIALECTS = await testDialects();

type Listed = {
  items: Array<{ id: string; connector_key: string; status: string; expires_at: string | null }>;
  total: number;
};

const declaration = (key: string) => ({
  key,
  name: key,
  auth: { type: 'api_key', fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }] },
  check: { url: 'https://reuse.example/api/me', identity: { account_id: 'id' } },
});

/**
 * On SQLite a page of the connections list is answered again from memory while nothing in the database
 * changed. These writes go around every service (raw SQL on the app's own connection, and on a second
 * connection standing for another process): the list must show each of them on the very next request,
 * on both dialects, and never show one user's page to another.
 */
for (const dialect of DIALECTS) {
  describe(`connections list reused only while nothing changed (${dialect})`, () => {
    let test: TestApp;
    let alice: string;
    let bob: string;
    let other: ReturnType<typeof createDatabase>;

    const list = async (token: string, query = '') => {
      const response = await test.app.inject({
        method: 'GET',
        url: `/api/connections/${query}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.statusCode).toBe(200);
      return response.json() as Listed;
    };
    const connect = async (token: string, connectorKey: string) => {
      const response = await test.app.inject({
        method: 'POST',
        url: '/api/connections/',
        headers: { authorization: `Bearer ${token}` },
        payload: { connector_key: connectorKey, credentials: { type: 'api_key', values: { apiKey: 'k-1' } } },
      });
      expect(response.statusCode).toBe(201);
      return (response.json() as { id: string }).id;
    };

    beforeAll(async () => {
      test = await createTestApp(dialect);
      other = createDatabase(test.config.databaseUrl);
      alice = await tokenFor({ email: 'alice-reuse@example.com' });
      bob = await tokenFor({ email: 'bob-reuse@example.com' });
      const admin = await tokenFor({ email: 'admin-reuse@example.com', role: 'admin' });
      for (const key of ['reuse-one', 'reuse-two']) {
        const response = await test.app.inject({
          method: 'POST',
          url: '/api/connectors/',
          headers: { authorization: `Bearer ${admin}` },
          payload: declaration(key),
        });
        expect(response.statusCode).toBe(201);
      }
    });

    afterAll(async () => {
      await other?.close();
      await test?.close();
    });

    it('shows a write made on the same connection around the services at once', async () => {
      const id = await connect(alice, 'reuse-one');
      expect((await list(alice)).items.map((item) => item.status)).toEqual(['pending']);
      expect((await list(alice)).items.map((item) => item.status)).toEqual(['pending']);
      await test.app.db.db.updateTable('connections').set({ status: 'error' }).where('id', '=', id).execute();
      expect((await list(alice)).items.map((item) => item.status)).toEqual(['error']);
      await test.app.db.db
        .updateTable('credentials')
        .set({ expires_at: new Date('2031-01-02T03:04:05.000Z') })
        .where('connection_id', '=', id)
        .execute();
      expect((await list(alice)).items[0]?.expires_at).toBe('2031-01-02T03:04:05.000Z');
    });

    it('shows a write committed by another connection (another process) at once', async () => {
      const before = await list(alice);
      const id = before.items[0]!.id;
      await other.db.updateTable('connections').set({ status: 'active' }).where('id', '=', id).execute();
      expect((await list(alice)).items.map((item) => item.status)).toEqual(['active']);
      await other.db.deleteFrom('connections').where('id', '=', id).execute();
      expect(await list(alice)).toMatchObject({ items: [], total: 0 });
    });

    it("keeps each user's pages and each filter apart", async () => {
      await connect(alice, 'reuse-one');
      await connect(alice, 'reuse-two');
      await connect(bob, 'reuse-two');
      expect((await list(alice)).total).toBe(2);
      expect((await list(bob)).items.map((item) => item.connector_key)).toEqual(['reuse-two']);
      expect((await list(alice)).items.map((item) => item.connector_key).sort()).toEqual([
        'reuse-one',
        'reuse-two',
      ]);
      expect((await list(alice, '?connector=reuse-one')).items.map((item) => item.connector_key)).toEqual([
        'reuse-one',
      ]);
      expect((await list(alice, '?limit=1')).items).toHaveLength(1);
      expect((await list(alice, '?status=active')).total).toBe(0);
      expect((await list(bob, '?connector=reuse-one')).total).toBe(0);
    });

    it(
      dialect === 'sqlite'
        ? 'answers an unchanged page from memory (SQLite)'
        : 'reads every page from the database (PostgreSQL: no cheap way to know nothing changed)',
      async () => {
        const user = await test.app.db.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', 'alice-reuse@example.com')
          .executeTakeFirstOrThrow();
        const first = await listConnections(test.app.db, user.id, {});
        const again = await listConnections(test.app.db, user.id, {});
        expect(again).toEqual(first);
        expect(again === first).toBe(dialect === 'sqlite');
        await other.db
          .updateTable('users')
          .set({ email: 'alice-reuse@example.com' })
          .where('id', '=', user.id)
          .execute();
        const afterWrite = await listConnections(test.app.db, user.id, {});
        expect(afterWrite).toEqual(first);
        expect(afterWrite === first).toBe(false);
      },
    );
  });
}
