import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from './dialect.js';
import { nameStatement, sendNamedStatements, statementName } from './named-statements.js';
import { prepareQuery } from './prepared-query.js';
import { createTestDatabase, type TestDatabase, testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

describe('named statements', () => {
  it('gives one text one name, the same however often it is registered', () => {
    const name = nameStatement('select 1 as "named-test"');
    expect(name).toMatch(/^cfm_[A-Za-z0-9_-]{24}$/);
    expect(nameStatement('select 1 as "named-test"')).toBe(name);
    expect(statementName('select 1 as "named-test"')).toBe(name);
    expect(statementName('select 2 as "never registered"')).toBeUndefined();
  });

  it('sends only a registered text with values as a named statement, everything else unchanged', () => {
    const calls: unknown[][] = [];
    const client = { query: (...args: unknown[]) => calls.push(args) };
    sendNamedStatements(client);
    const text = 'select $1 as "named-test-2"';
    const name = nameStatement(text);
    const callback = () => undefined;
    client.query(text, ['a']);
    client.query('select 3', ['b']);
    client.query({ text, values: ['c'] });
    client.query(text, ['d'], callback);
    expect(calls).toEqual([
      [{ name, text, values: ['a'] }],
      ['select 3', ['b']],
      [{ text, values: ['c'] }, undefined],
      [text, ['d'], callback],
    ]);
  });
});

if (DIALECTS.includes('postgres')) {
  describe('named statements on PostgreSQL', () => {
    let testDatabase: TestDatabase;

    beforeAll(async () => {
      testDatabase = await createTestDatabase('postgres');
    });

    afterAll(async () => {
      await testDatabase.drop();
    });

    for (const namedStatements of [true, false]) {
      it(`prepares the queries of prepareQuery on the server: ${namedStatements ? 'by default' : 'not when turned off'}`, async () => {
        // One connection, so the statement list read below is the one the queries ran on.
        const handle = createDatabase(testDatabase.url, { poolMax: 1, namedStatements });
        try {
          const query = prepareQuery(handle.db, (p: { word: string }) =>
            handle.db.selectNoFrom((eb) => eb.val(p.word).as('word')),
          );
          expect(await query.execute({ word: 'first' })).toEqual([{ word: 'first' }]);
          expect(await query.execute({ word: 'second' })).toEqual([{ word: 'second' }]);
          const prepared = await sql<{ name: string; statement: string }>`
            select name, statement from pg_prepared_statements`.execute(handle.db);
          expect(prepared.rows).toEqual(
            namedStatements ? [{ name: statementName(query.sql), statement: query.sql }] : [],
          );
        } finally {
          await handle.close();
        }
      });
    }
  });
}
