import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './dialect.js';
import { DatabaseUrlError } from './parse-database-url.js';
import { createTestDatabase, testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    it('pings an open database, and close can be called twice', async () => {
      const testDatabase = await createTestDatabase(dialect);
      const handle = createDatabase(testDatabase.url);
      expect(handle.dialect).toBe(dialect);
      await expect(handle.ping()).resolves.toBeUndefined();
      await handle.close();
      await handle.close();
      await testDatabase.drop();
    });
  });
}

describe('sqlite', () => {
  const folders: string[] = [];

  afterAll(async () => {
    for (const folder of folders) {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('creates the parent folder of the database file and enables foreign keys and WAL', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cfm-dialect-'));
    folders.push(folder);
    const filename = join(folder, 'nested', 'deeper', 'cfm.db');
    const handle = createDatabase(`sqlite:///${filename}`);
    await handle.ping();
    expect(existsSync(filename)).toBe(true);
    const { sql } = await import('kysely');
    const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(handle.db);
    const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(handle.db);
    await handle.close();
    expect(foreignKeys.rows).toEqual([{ foreign_keys: 1 }]);
    expect(journal.rows).toEqual([{ journal_mode: 'wal' }]);
  });

  it('opens an in-memory database', async () => {
    const handle = createDatabase('sqlite::memory:');
    await expect(handle.ping()).resolves.toBeUndefined();
    await handle.close();
  });
});

describe('postgres', () => {
  it('rejects ping when PostgreSQL is unreachable', { timeout: 10_000 }, async () => {
    const handle = createDatabase('postgresql://postgres:hunter2@127.0.0.1:1/postgres', {
      connectionTimeoutMillis: 2000,
    });
    await expect(handle.ping()).rejects.toThrow();
    await handle.close();
  });
});

describe('createDatabase', () => {
  it('throws a DatabaseUrlError for an unsupported URL', () => {
    expect(() => createDatabase('mysql://root:hunter2@db/cfm')).toThrow(DatabaseUrlError);
  });
});
