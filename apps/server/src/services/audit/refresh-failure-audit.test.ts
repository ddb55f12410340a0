import type { OAuth2Credentials } from '@cfm/connector-sdk';
import { testDialects } from '@cfm/db/testing';
import { describe, expect, it, vi } from 'vitest';
import { connectAccount, engineFixturePerTest, loadCredentials } from '../test/engine-fixture.js';
import { TokenManager } from '../token-manager.js';

const DIALECTS = await testDialects();
const openFixture = engineFixturePerTest();
// Tokens live 10 minutes; 7 minutes later they are inside the refresh margin.
const INTO_MARGIN_MS = 7 * 60 * 1000;

for (const dialect of DIALECTS) {
  describe(`refresh failures in the audit trail (${dialect})`, () => {
    async function failedRefresh(kind: 'rejected' | 'transient') {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      const connectionId = await connectAccount(fixture);
      const credentials = (await loadCredentials(fixture, connectionId)) as OAuth2Credentials;
      if (kind === 'rejected') fixture.provider.revokeToken(credentials.refreshToken as string);
      else fixture.provider.failNext(1, 503, { error: 'temporarily_unavailable' });
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      await new TokenManager(fixture.context).getFreshCredentials(connectionId).catch(() => undefined);
      const events = await vi.waitFor(async () => {
        const rows = await fixture.handle.db.selectFrom('audit_events').selectAll().execute();
        expect(rows).toHaveLength(1);
        return rows;
      });
      return { events, credentials, connectionId };
    }

    it('records a refused refresh token as a system failure that expired the connection', async () => {
      const { events, credentials, connectionId } = await failedRefresh('rejected');
      expect(events[0]).toMatchObject({
        action: 'connection.refresh_failed',
        outcome: 'failure',
        actor_type: 'system',
        actor_id: null,
        actor_label: 'token-manager',
        connection_id: connectionId,
        connector_key: 'acme',
        detail: { error: 'invalid_grant', connection_expired: true },
      });
      const text = JSON.stringify(events);
      expect(text).not.toContain(credentials.accessToken);
      expect(text).not.toContain(credentials.refreshToken);
    });

    it('records a transient failure with its backoff', async () => {
      const { events } = await failedRefresh('transient');
      expect(events[0]).toMatchObject({
        action: 'connection.refresh_failed',
        outcome: 'failure',
        detail: { failures: 1, retry_in_ms: expect.any(Number) },
      });
    });
  });
}
