import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
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

    async function insertCredential(connectionId: string) {
      return database.db
        .insertInto('credentials')
        .values({
          id: randomUUID(),
          connection_id: connectionId,
          ciphertext: 'v1:ciphertext',
          key_id: 'key-1',
          auth_type: 'oauth2',
          expires_at: null,
          has_refresh_token: true,
          scopes: ['read'],
          last_refreshed_at: null,
          next_refresh_at: null,
          refresh_error: null,
        })
        .execute();
    }

    async function insertOAuthState(userId: string, connectorId: string, connectionId: string | null) {
      return database.db
        .insertInto('oauth_states')
        .values({
          id: randomUUID(),
          user_id: userId,
          connector_id: connectorId,
          connection_id: connectionId,
          redirect_uri: 'http://127.0.0.1/callback',
          code_verifier_ciphertext: null,
          key_id: null,
          config: null,
          expires_at: new Date(Date.now() + 600_000),
          consumed_at: null,
        })
        .execute();
    }

    async function count(table: 'connections' | 'credentials' | 'oauth_states', column: string, id: string) {
      const rows = await database.db.selectFrom(table).select('id').where(sql.ref(column), '=', id).execute();
      return rows.length;
    }

    it('rejects a duplicate user email or subject', async () => {
      const user = await insertUser(database.db);
      await expect(insertUser(database.db, user.email)).rejects.toThrow();
      await expect(
        database.db
          .insertInto('users')
          .values({ id: randomUUID(), subject: user.subject, email: `${randomUUID()}@example.com` })
          .execute(),
      ).rejects.toThrow();
    });

    it('rejects a duplicate connector key', async () => {
      const connector = await insertConnector(database.db);
      await expect(insertConnector(database.db, connector.key)).rejects.toThrow();
    });

    it('allows one connection per user and connector, and one credential per connection', async () => {
      const user = await insertUser(database.db);
      const connector = await insertConnector(database.db);
      const connection = await insertConnection(database.db, user.id, connector.id);
      await expect(insertConnection(database.db, user.id, connector.id)).rejects.toThrow();
      await insertConnection(database.db, (await insertUser(database.db)).id, connector.id);

      await insertCredential(connection.id);
      await expect(insertCredential(connection.id)).rejects.toThrow();
    });

    it('rejects a connection to a user that does not exist', async () => {
      const connector = await insertConnector(database.db);
      await expect(insertConnection(database.db, randomUUID(), connector.id)).rejects.toThrow();
    });

    it('deletes connections, credentials and OAuth states with their user', async () => {
      const user = await insertUser(database.db);
      const other = await insertUser(database.db);
      const connector = await insertConnector(database.db);
      const connection = await insertConnection(database.db, user.id, connector.id);
      const otherConnection = await insertConnection(database.db, other.id, connector.id);
      await insertCredential(connection.id);
      await insertCredential(otherConnection.id);
      await insertOAuthState(user.id, connector.id, connection.id);
      await insertOAuthState(user.id, connector.id, null);

      await database.db.deleteFrom('users').where('id', '=', user.id).execute();

      expect(await count('connections', 'user_id', user.id)).toBe(0);
      expect(await count('credentials', 'connection_id', connection.id)).toBe(0);
      expect(await count('oauth_states', 'user_id', user.id)).toBe(0);
      expect(await count('connections', 'user_id', other.id)).toBe(1);
      expect(await count('credentials', 'connection_id', otherConnection.id)).toBe(1);
    });

    it('deletes connections (and their credentials) with their connector', async () => {
      const user = await insertUser(database.db);
      const connector = await insertConnector(database.db);
      const kept = await insertConnector(database.db);
      const connection = await insertConnection(database.db, user.id, connector.id);
      await insertConnection(database.db, user.id, kept.id);
      await insertCredential(connection.id);
      await insertOAuthState(user.id, connector.id, null);

      await database.db.deleteFrom('connectors').where('id', '=', connector.id).execute();

      expect(await count('connections', 'connector_id', connector.id)).toBe(0);
      expect(await count('credentials', 'connection_id', connection.id)).toBe(0);
      expect(await count('oauth_states', 'connector_id', connector.id)).toBe(0);
      expect(await count('connections', 'connector_id', kept.id)).toBe(1);
    });

    it('deletes OAuth states that re-authorise a deleted connection', async () => {
      const user = await insertUser(database.db);
      const connector = await insertConnector(database.db);
      const connection = await insertConnection(database.db, user.id, connector.id);
      await insertOAuthState(user.id, connector.id, connection.id);

      await database.db.deleteFrom('connections').where('id', '=', connection.id).execute();

      expect(await count('oauth_states', 'connection_id', connection.id)).toBe(0);
    });
  });
}
