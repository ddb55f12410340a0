import { createDatabase, migrateToLatest } from '@cfm/db';
import { createTestDatabase, testDialects } from '@cfm/db/testing';
import { describe, expect, it } from 'vitest';
import { recordAuditEvent, setAuditLogger } from './audit-log.js';
import { decodeAuditCursor, encodeAuditCursor, listAuditEvents } from './audit-query.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(`recordAuditEvent (${dialect})`, () => {
    it('stores the event with its actor, and never throws when the write fails (it logs instead)', async () => {
      const database = await createTestDatabase(dialect);
      const handle = createDatabase(database.url);
      try {
        expect((await migrateToLatest(handle.db)).error).toBeUndefined();
        await recordAuditEvent(handle.db, {
          action: 'connection.proxy',
          outcome: 'failure',
          actor: { type: 'service', id: 'key-1', label: 'billing' },
          connectionId: 'c-1',
          connectorKey: 'slack',
          statusCode: 502,
          durationMs: 12.6,
          detail: { method: 'GET', path: '/auth.test?token=xoxb-secret', access_token: 'xoxb-secret' },
          requestId: 'req-1',
        });
        const { events } = await listAuditEvents(handle.db, { limit: 10 });
        expect(events).toEqual([
          {
            id: expect.any(String),
            occurred_at: expect.any(Date),
            actor_type: 'service',
            actor_id: 'key-1',
            actor_label: 'billing',
            action: 'connection.proxy',
            connection_id: 'c-1',
            connector_key: 'slack',
            outcome: 'failure',
            status_code: 502,
            duration_ms: 13,
            detail: { method: 'GET', path: '/auth.test' },
            request_id: 'req-1',
          },
        ]);
        expect(JSON.stringify(events)).not.toContain('xoxb-secret');

        const logged: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
        setAuditLogger(handle.db, { error: (message, fields) => logged.push({ message, fields }) });
        await handle.db.schema.dropTable('audit_events').execute();
        await expect(
          recordAuditEvent(handle.db, {
            action: 'connection.delete',
            outcome: 'success',
            actor: { type: 'system', id: null, label: 'test' },
          }),
        ).resolves.toBeUndefined();
        expect(logged).toEqual([
          {
            message: 'audit event not recorded',
            fields: expect.objectContaining({ action: 'connection.delete' }),
          },
        ]);
      } finally {
        await handle.close();
        await database.drop();
      }
    });
  });
}

describe('audit cursors', () => {
  it('round-trip, and anything else is refused', () => {
    const cursor = { at: new Date('2026-12-03T10:00:00.123Z'), id: 'abc' };
    expect(decodeAuditCursor(encodeAuditCursor(cursor))).toEqual(cursor);
    for (const text of [
      '',
      'not-base64!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","x"]').toString('base64url'),
    ]) {
      expect(decodeAuditCursor(text), text).toBeUndefined();
    }
  });
});
