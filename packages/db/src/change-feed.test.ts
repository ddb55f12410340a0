import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeFeed } from './change-feed.js';
import { createDatabase, type DatabaseHandle } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import { insertConnector, insertUser } from './test/migrated-database.js';
import { createTestDatabase, type TestDatabase, testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

/** Polls `read` (every 10 ms, 5 s at most) until `done` holds; PostgreSQL notifies asynchronously. */
async function pollUntil(
  read: () => number | undefined,
  done: (value: number | undefined) => boolean,
): Promise<number | undefined> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const value = read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return read();
}

const changedFrom = (read: () => number | undefined, from: number | undefined) =>
  pollUntil(read, (value) => value !== from && value !== undefined);

async function known(feed: ChangeFeed): Promise<number> {
  const value = await changedFrom(() => feed.version(), undefined);
  if (value === undefined) throw new Error('the change feed never became ready');
  return value;
}

for (const dialect of DIALECTS) {
  describe(`change feed (${dialect})`, () => {
    let testDatabase: TestDatabase;
    let watcher: DatabaseHandle; // the process keeping something in memory
    let writer: DatabaseHandle; // another process on the same database
    let feed: ChangeFeed;

    beforeAll(async () => {
      testDatabase = await createTestDatabase(dialect);
      watcher = createDatabase(testDatabase.url);
      writer = createDatabase(testDatabase.url);
      const outcome = await migrateToLatest(writer.db);
      if (outcome.error !== undefined) throw outcome.error;
      feed = watcher.watchConnectors();
      await watcher.ping(); // SQLite: the feed reads the connection this opens
    });

    afterAll(async () => {
      await feed.close();
      await watcher.close();
      await writer.close();
      await testDatabase.drop();
    });

    it('moves when another connection inserts, updates or deletes a connector', async () => {
      const start = await known(feed);
      const row = await insertConnector(writer.db);
      const afterInsert = await changedFrom(() => feed.version(), start);
      expect(afterInsert).not.toBe(start);

      await writer.db.updateTable('connectors').set({ enabled: false }).where('id', '=', row.id).execute();
      const afterUpdate = await changedFrom(() => feed.version(), afterInsert);
      expect(afterUpdate).not.toBe(afterInsert);

      await writer.db.deleteFrom('connectors').where('id', '=', row.id).execute();
      expect(await changedFrom(() => feed.version(), afterUpdate)).not.toBe(afterUpdate);
    });

    it('stays put while nobody writes', async () => {
      const settled = await known(feed);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(feed.version()).toBe(settled);
      await watcher.db.selectFrom('connectors').selectAll().execute(); // reads change nothing
      expect(feed.version()).toBe(settled);
    });

    if (dialect === 'postgres') {
      it('is not moved by writes to other tables (the trigger is on connectors only)', async () => {
        const settled = await known(feed);
        await insertUser(writer.db);
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(feed.version()).toBe(settled);
      });

      it('is unknown while its connection is lost, and moves once it is back', async () => {
        const before = await known(feed);
        // Ends the listener's backend, as a PostgreSQL restart or a network loss would.
        const { rows } = await sql<{ ended: boolean }>`select pg_terminate_backend(pid) as ended
          from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'`.execute(
          writer.db,
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(
          await pollUntil(
            () => feed.version(),
            (value) => value === undefined,
          ),
        ).toBeUndefined();
        const after = await known(feed);
        expect(after).not.toBe(before);
      });
    } else {
      it('is unknown until the watched handle has opened its file, and after it closed', async () => {
        const unopened = createDatabase(testDatabase.url);
        const early = unopened.watchConnectors();
        expect(early.version()).toBeUndefined();
        await unopened.ping();
        expect(typeof early.version()).toBe('number');
        await unopened.close();
        expect(early.version()).toBeUndefined();
        await early.close();
      });
    }

    it('gives undefined once closed', async () => {
      const other = watcher.watchConnectors();
      await known(other);
      await other.close();
      expect(other.version()).toBeUndefined();
    });
  });
}
