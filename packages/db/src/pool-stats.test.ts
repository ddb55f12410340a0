import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './dialect.js';
import { createTestDatabase, testDialects } from './testing/index.js';

const DIALECTS = await testDialects();

// The server's `/metrics` reports PostgreSQL pool use through `poolStats()`.
for (const dialect of DIALECTS) {
  describe(`poolStats (${dialect})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it(
      dialect === 'postgres' ? 'counts open, idle and waiting connections' : 'is undefined: no pool',
      async () => {
        const testDatabase = await createTestDatabase(dialect);
        const handle = createDatabase(testDatabase.url, { poolMax: 2 });
        cleanups.push(testDatabase.drop, () => handle.close());
        await handle.ping();
        if (dialect !== 'postgres') {
          expect(handle.poolStats?.()).toBeUndefined();
          return;
        }
        expect(handle.poolStats?.()).toEqual({ total: 1, idle: 1, waiting: 0 });
        // Three queries on a pool of two: one waits for a connection.
        const sleeps = [1, 2, 3].map(() => handle.ping());
        await new Promise((resolve) => setImmediate(resolve));
        expect(handle.poolStats?.()).toMatchObject({ total: 2, waiting: 1 });
        await Promise.all(sleeps);
        expect(handle.poolStats?.()).toMatchObject({ total: 2, idle: 2, waiting: 0 });
      },
    );
  });
}
