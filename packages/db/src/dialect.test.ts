import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './dialect.js';
import { DatabaseUrlError } from './parse-database-url.js';
import { createTestDatabase, testDialects } from './testing/index.js';
import { isDatabaseUnavailableError } from './unavailable-error.js';

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

/** Ends PostgreSQL backend `pid` from a connection of its own (as a failover or an operator would). */
async function terminateBackend(url: string, pid: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await client.end();
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.runIf(DIALECTS.includes('postgres'))('postgres: a lost connection', () => {
  it('is reported, not thrown, when its backend ends while a transaction holds it; the pool reconnects', async () => {
    const testDatabase = await createTestDatabase('postgres');
    const failures: Error[] = [];
    const handle = createDatabase(testDatabase.url, { onPoolError: (error) => failures.push(error) });
    try {
      // Between two statements of a transaction the client is checked out with no query running: the
      // pool's idle listener is off, so before every client had its own listener this was an uncaught
      // 'error' event that ended the process.
      const outcome = await handle.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await terminateBackend(testDatabase.url, rows[0]!.pid);
          await waitFor(() => failures.length > 0);
          await sql`select 1`.execute(trx);
        })
        .then(
          () => 'committed',
          (error: unknown) => error,
        );
      expect(isDatabaseUnavailableError(outcome)).toBe(true);
      expect(failures).toHaveLength(1);
      expect(isDatabaseUnavailableError(failures[0])).toBe(true);
      await expect(handle.ping()).resolves.toBeUndefined();
    } finally {
      await handle.close();
      await testDatabase.drop();
    }
  });

  it('reports an idle connection lost once, and the next query opens a new one', async () => {
    const testDatabase = await createTestDatabase('postgres');
    const failures: Error[] = [];
    const handle = createDatabase(testDatabase.url, { onPoolError: (error) => failures.push(error) });
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
      await terminateBackend(testDatabase.url, rows[0]!.pid);
      await waitFor(() => failures.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(failures).toHaveLength(1);
      const again = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(handle.db);
      expect(again.rows[0]!.pid).not.toBe(rows[0]!.pid);
    } finally {
      await handle.close();
      await testDatabase.drop();
    }
  });
});

describe('createDatabase', () => {
  it('throws a DatabaseUrlError for an unsupported URL', () => {
    expect(() => createDatabase('mysql://root:hunter2@db/cfm')).toThrow(DatabaseUrlError);
  });
});
