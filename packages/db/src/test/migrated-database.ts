import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../database.js';
import { createDatabase, type DatabaseHandle } from '../dialect.js';
import { migrateToLatest } from '../migrate.js';
import type { Dialect } from '../parse-database-url.js';
import { createTestDatabase } from '../testing/index.js';

export interface MigratedDatabase {
  handle: DatabaseHandle;
  db: Kysely<Database>;
  close(): Promise<void>;
}

/** A fresh database of the dialect with every migration applied. */
export async function openMigratedDatabase(dialect: Dialect): Promise<MigratedDatabase> {
  const testDatabase = await createTestDatabase(dialect);
  const handle = createDatabase(testDatabase.url);
  const outcome = await migrateToLatest(handle.db);
  if (outcome.error !== undefined) {
    throw outcome.error;
  }
  return {
    handle,
    db: handle.db,
    async close() {
      await handle.close();
      await testDatabase.drop();
    },
  };
}

/**
 * One migrated database for the enclosing `describe`: opened in `beforeAll`, closed in `afterAll`.
 * Read `db` inside tests (reading it earlier throws).
 */
export function useMigratedDatabase(dialect: Dialect): { readonly db: Kysely<Database> } {
  let opened: MigratedDatabase | undefined;
  beforeAll(async () => {
    opened = await openMigratedDatabase(dialect);
  });
  afterAll(async () => {
    await opened?.close();
  });
  return {
    get db() {
      if (opened === undefined) throw new Error('the migrated database opens in beforeAll');
      return opened.db;
    },
  };
}

export async function insertUser(db: Kysely<Database>, email = `${randomUUID()}@example.com`) {
  return db
    .insertInto('users')
    .values({ id: randomUUID(), subject: randomUUID(), email })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertConnector(db: Kysely<Database>, key = `connector-${randomUUID()}`) {
  return db
    .insertInto('connectors')
    .values({
      id: randomUUID(),
      key,
      name: 'Example',
      description: 'An example connector',
      source: 'package',
      version: '1.0.0',
      auth_type: 'oauth2',
      auth: { type: 'oauth2', scopes: { required: ['read'] } },
      config_schema: { type: 'object', properties: {} },
      categories: ['productivity', 'chat'],
      icon_url: null,
      docs_url: null,
      load_error: null,
      custom_definition: null,
      client_secret_ciphertext: null,
      client_secret_key_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertConnection(db: Kysely<Database>, userId: string, connectorId: string) {
  return db
    .insertInto('connections')
    .values({ id: randomUUID(), user_id: userId, connector_id: connectorId, config: { site: 'example' } })
    .returningAll()
    .executeTakeFirstOrThrow();
}
