import { createDatabase, migrateToLatest } from '@cfm/db';
import { createTestDatabase } from '@cfm/db/testing';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { captureLogs, testConfig } from '../test/helpers.js';

describe('engine plugin', () => {
  it('shares one context, logs the origin overrides, runs the refresher only while listening', async () => {
    const database = await createTestDatabase('sqlite');
    const handle = createDatabase(database.url);
    const migrated = await migrateToLatest(handle.db);
    expect(migrated.error).toBeUndefined();
    const logs = captureLogs();
    const config = testConfig({
      DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      CONNECTOR_ORIGIN_OVERRIDES: 'https://acme.example=http://127.0.0.1:4010',
    });
    const app = await buildApp(config, { database: handle, logStream: logs.stream, startRefresher: true });
    try {
      await app.ready();
      const { engine } = app;
      expect(engine.context.database).toBe(app.db);
      expect(engine.context.vault).toBe(app.vault);
      expect(engine.context.connectors).toBe(app.connectors);
      expect(engine.context.rewriteUrl?.('https://acme.example/oauth/token?x=1')).toBe(
        'http://127.0.0.1:4010/oauth/token?x=1',
      );
      expect(logs.text()).toContain('"https://acme.example":"http://127.0.0.1:4010"');
      expect(logs.text()).not.toContain('background token refresher started');

      await app.listen({ host: '127.0.0.1', port: 0 });
      expect(logs.text()).toContain('background token refresher started');
      const summary = await engine.refresher.runOnce();
      expect(summary).toEqual({ candidates: 0, failed: 0, statesDeleted: 0, batches: 1 });
    } finally {
      await app.close();
      await handle.close();
      await database.drop();
    }
  });

  it('does not start the refresher unless asked', async () => {
    const logs = captureLogs();
    const app = await buildApp(testConfig({ LOG_LEVEL: 'info' }), { logStream: logs.stream });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      expect(logs.text()).not.toContain('background token refresher started');
      expect(logs.text()).not.toContain('connector origin overrides');
    } finally {
      await app.close();
    }
  });
});
