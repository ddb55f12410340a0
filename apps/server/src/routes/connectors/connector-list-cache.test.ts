import { createDatabase } from '@cfm/db';
import { testDialects } from '@cfm/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { createTestApp, type TestApp, tokenFor } from '../../test/helpers.js';

const DIALECTS = await testDialects();

type Listed = Array<{ key: string; name: string; enabled: boolean }>;

/** An API-key custom connector (no secret, no provider needed). */
const declaration = (name: string) => ({
  name,
  description: 'Declared by an admin (test).',
  auth: { type: 'api_key', fields: [{ name: 'apiKey', label: 'API key', in: 'header', param: 'x-api-key' }] },
  check: { url: 'https://cache.example/api/me', identity: { account_id: 'id' } },
});

/**
 * The connectors list is kept in memory between catalogue changes. Two apps on one database with their own
 * connections stand for two server processes: what one changes, the other lists (at once on SQLite, which
 * reads `data_version`; as soon as the notification arrives on PostgreSQL).
 */
for (const dialect of DIALECTS) {
  describe(`connectors list kept between changes (${dialect})`, () => {
    let first: TestApp;
    let second: FastifyInstance;
    let closeSecond: () => Promise<void>;
    let user: string;
    let admin: string;

    const list = async (app: FastifyInstance) => {
      const response = await app.inject({
        method: 'GET',
        url: '/api/connectors/',
        headers: { authorization: `Bearer ${user}` },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      return response.json() as Listed;
    };
    const asAdmin = (
      app: FastifyInstance,
      method: 'POST' | 'PUT' | 'DELETE',
      url: string,
      payload?: object,
    ) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${admin}` },
        ...(payload !== undefined && { payload }),
      });
    /** Lists on `app` until `holds` (every 20 ms, 5 s at most): PostgreSQL notifies asynchronously. */
    const eventually = async (app: FastifyInstance, holds: (items: Listed) => boolean) => {
      let items = await list(app);
      for (let attempt = 0; attempt < 250 && !holds(items); attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        items = await list(app);
      }
      return items;
    };

    beforeAll(async () => {
      first = await createTestApp(dialect);
      const handle = createDatabase(first.config.databaseUrl);
      second = await buildApp(first.config, { logStream: false, database: handle });
      await second.ready();
      closeSecond = async () => {
        await second.close();
        await handle.close();
      };
      user = await tokenFor({ email: 'lister@example.com' });
      admin = await tokenFor({ email: 'admin@example.com', role: 'admin' });
    });

    afterAll(async () => {
      await closeSecond?.();
      await first?.close();
    });

    it('answers the same list again without change, and a write in this process shows at once', async () => {
      const before = await list(first.app);
      expect(await list(first.app)).toEqual(before);
      const created = await asAdmin(first.app, 'POST', '/api/connectors/', {
        key: 'cache-a',
        ...declaration('Cache A'),
      });
      expect(created.statusCode).toBe(201);
      const after = await list(first.app);
      expect(after.map((item) => item.key)).toContain('cache-a');
      expect(after).toHaveLength(before.length + 1);
    });

    it("shows another process's create, update and delete", async () => {
      await list(second); // kept in memory from here
      const created = await asAdmin(first.app, 'POST', '/api/connectors/', {
        key: 'cache-b',
        ...declaration('Cache B'),
      });
      expect(created.statusCode).toBe(201);
      const seen = await eventually(second, (items) => items.some((item) => item.key === 'cache-b'));
      expect(seen.map((item) => item.key)).toContain('cache-b');

      const renamed = await asAdmin(first.app, 'PUT', '/api/connectors/cache-b', {
        ...{ key: 'cache-b', ...declaration('Cache B') },
        key: undefined,
        name: 'Renamed elsewhere',
        enabled: false,
      });
      expect(renamed.statusCode).toBe(200);
      const updated = await eventually(second, (items) =>
        items.some((item) => item.key === 'cache-b' && item.name === 'Renamed elsewhere'),
      );
      expect(updated.find((item) => item.key === 'cache-b')).toMatchObject({
        name: 'Renamed elsewhere',
        enabled: false,
      });

      expect((await asAdmin(second, 'DELETE', '/api/connectors/cache-b')).statusCode).toBe(204);
      const gone = await eventually(first.app, (items) => !items.some((item) => item.key === 'cache-b'));
      expect(gone.map((item) => item.key)).not.toContain('cache-b');
    });
  });
}
