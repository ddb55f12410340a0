import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './dialect.js';
import { StatementCachingDatabase } from './statement-cache.js';

/** A better-sqlite3 stand-in that counts what it prepares (the real database is tested below). */
function countingDatabase() {
  const prepared: string[] = [];
  let closed = false;
  const database = {
    prepare(text: string) {
      prepared.push(text);
      return {
        reader: text.startsWith('select'),
        all: () => [{ text }],
        run: () => ({ changes: 1, lastInsertRowid: 1 }),
        iterate: () => [{ text }][Symbol.iterator](),
      };
    },
    close() {
      closed = true;
    },
  };
  return { database, prepared, isClosed: () => closed };
}

describe('StatementCachingDatabase', () => {
  it('prepares a SQL text once, and stays within its capacity (least recently used out)', () => {
    const { database, prepared } = countingDatabase();
    const cache = new StatementCachingDatabase(database, 2);
    cache.prepare('select 1').all([]);
    cache.prepare('select 1').all([]);
    expect(prepared).toEqual(['select 1']);
    cache.prepare('select 2');
    cache.prepare('select 1'); // now the most recent
    cache.prepare('select 3'); // evicts `select 2`
    expect(cache.size).toBe(2);
    cache.prepare('select 1');
    cache.prepare('select 2');
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
  });

  it('gives each iteration a statement of its own, and closes the database', () => {
    const { database, prepared, isClosed } = countingDatabase();
    const cache = new StatementCachingDatabase(database);
    const statement = cache.prepare('select 1');
    expect([...statement.iterate([])]).toEqual([{ text: 'select 1' }]);
    expect([...statement.iterate([])]).toEqual([{ text: 'select 1' }]);
    expect(prepared).toHaveLength(3);
    cache.close();
    expect(isClosed()).toBe(true);
    expect(cache.size).toBe(0);
  });
});

describe('SQLite through createDatabase with reused statements', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('sees schema changes, new rows and streams while statements are reused', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cfm-statements-'));
    folders.push(folder);
    const handle = createDatabase(`sqlite:///${join(folder, 'cfm.db')}`);
    const db = handle.db;
    await sql`create table items (id integer primary key, name text not null)`.execute(db);
    const all = () => sql<Record<string, unknown>>`select * from items order by id`.execute(db);
    await sql`insert into items (name) values (${'one'})`.execute(db);
    expect((await all()).rows).toEqual([{ id: 1, name: 'one' }]);
    await sql`insert into items (name) values (${'two'})`.execute(db);
    expect((await all()).rows).toHaveLength(2);
    // The cached `select *` is re-prepared by SQLite after the schema change: the new column shows.
    await sql`alter table items add column note text`.execute(db);
    expect((await all()).rows[0]).toEqual({ id: 1, name: 'one', note: null });
    // Streaming the text of a cached statement uses a statement of its own.
    const items = db as unknown as Kysely<{ items: { id: number; name: string; note: string | null } }>;
    const names = items.selectFrom('items').select('name').orderBy('id');
    expect(await names.execute()).toEqual([{ name: 'one' }, { name: 'two' }]);
    const streamed: unknown[] = [];
    for await (const row of names.stream()) streamed.push(row);
    expect(streamed).toEqual([{ name: 'one' }, { name: 'two' }]);
    expect(await names.execute()).toHaveLength(2);
    await handle.close();
  });
});
