import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Dialect } from '../parse-database-url.js';
import { testPostgresUrl } from './test-dialects.js';

export interface TestDatabase {
  /** A URL for `createDatabase`. */
  url: string;
  /** Removes the database. Close your handles first. */
  drop(): Promise<void>;
}

const TEST_DATABASE_PREFIX = 'cfm_test_';
const STALE_AFTER_MS = 60 * 60 * 1000;
const OBJECT_IN_USE = '55006';

/**
 * A fresh, empty database: a new SQLite file in a new temp folder, or a new PostgreSQL database
 * `cfm_test_<time>_<random>` created through `TEST_POSTGRES_URL`.
 *
 * @example
 * const testDatabase = await createTestDatabase('postgres');
 * const handle = createDatabase(testDatabase.url);
 * // …
 * await handle.close();
 * await testDatabase.drop();
 */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  return dialect === 'sqlite' ? createSqliteTestDatabase() : createPostgresTestDatabase();
}

async function createSqliteTestDatabase(): Promise<TestDatabase> {
  const folder = await mkdtemp(join(tmpdir(), 'cfm-test-'));
  // The folder is absolute, so this is the `sqlite:////abs/path.db` form.
  return {
    url: `sqlite:///${join(folder, 'test.db')}`,
    drop: () => rm(folder, { recursive: true, force: true }),
  };
}

async function createPostgresTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testPostgresUrl();
  // The creation time is in the name because PostgreSQL does not record it: see cleanupStaleTestDatabases.
  const name = `${TEST_DATABASE_PREFIX}${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, async (client) => {
    // CREATE DATABASE fails while another session is connected to the template; that is brief, so retry.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`create database ${name}`);
        return;
      } catch (error) {
        if (attempt >= 5 || (error as { code?: unknown }).code !== OBJECT_IN_USE) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdminClient(adminUrl, (client) => dropPostgresDatabase(client, name)),
  };
}

/** Drops `cfm_test_%` databases created more than an hour ago (left behind by crashed runs). */
export async function cleanupStaleTestDatabases(): Promise<string[]> {
  return withAdminClient(testPostgresUrl(), async (client) => {
    const result = await client.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${TEST_DATABASE_PREFIX}%`],
    );
    const dropped: string[] = [];
    for (const { datname } of result.rows) {
      const createdAt = Number.parseInt(datname.slice(TEST_DATABASE_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(createdAt) && Date.now() - createdAt > STALE_AFTER_MS) {
        await dropPostgresDatabase(client, datname);
        dropped.push(datname);
      }
    }
    return dropped;
  });
}

async function dropPostgresDatabase(client: pg.Client, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`Refusing to drop a database with an unexpected name: ${name}`);
  }
  await client.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [name],
  );
  await client.query(`drop database if exists ${name}`);
}

async function withAdminClient<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}
