import { randomUUID } from 'node:crypto';
import { testDialects } from '@cfm/db/testing';
import { describe, expect, it, vi } from 'vitest';
import { connectAccount, engineFixturePerTest } from './test/engine-fixture.js';
import { TokenManager } from './token-manager.js';
import { TokenRefresher } from './token-refresher.js';

const DIALECTS = await testDialects();
const openFixture = engineFixturePerTest();

for (const dialect of DIALECTS) {
  describe(`TokenRefresher (${dialect})`, () => {
    it('renews an expiring connection without any traffic and leaves fresh ones alone', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectAccount(fixture);
      const refresher = new TokenRefresher(fixture.context, new TokenManager(fixture.context));
      expect(await refresher.runOnce()).toMatchObject({ candidates: 0, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(0);
      fixture.clockOffsetMs = 7 * 60 * 1000;
      expect(await refresher.runOnce()).toMatchObject({ candidates: 1, failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(1);
      // Renewed: the next pass refreshes nothing (the token manager re-checks each candidate's margin).
      expect(await refresher.runOnce()).toMatchObject({ failed: 0 });
      expect(fixture.provider.counts.refresh).toBe(1);
    });

    it('runs on its timer and stops cleanly', async () => {
      const fixture = await openFixture(dialect, { provider: { expiresIn: 600 } });
      await connectAccount(fixture);
      fixture.clockOffsetMs = 7 * 60 * 1000;
      const refresher = new TokenRefresher(fixture.context, new TokenManager(fixture.context), {
        intervalSeconds: 0.05,
      });
      refresher.start();
      const provider = fixture.provider;
      await vi.waitFor(() => expect(provider.counts.refresh).toBe(1), { timeout: 10_000 });
      await refresher.stop();
      expect(provider.counts.refresh).toBe(1);
    });

    it('deletes oauth states expired or consumed more than a day ago', async () => {
      const fixture = await openFixture(dialect);
      const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
      const base = {
        user_id: fixture.userId,
        connector_id: fixture.connector.id,
        redirect_uri: 'http://x/cb',
      };
      await fixture.handle.db
        .insertInto('oauth_states')
        .values([
          { ...base, id: randomUUID(), expires_at: old },
          { ...base, id: randomUUID(), expires_at: new Date(Date.now() + 600_000), consumed_at: old },
          { ...base, id: 'keep', expires_at: new Date(Date.now() + 600_000) },
        ])
        .execute();
      const refresher = new TokenRefresher(fixture.context, new TokenManager(fixture.context));
      expect((await refresher.runOnce()).statesDeleted).toBe(2);
      const left = await fixture.handle.db.selectFrom('oauth_states').select('id').execute();
      expect(left).toEqual([{ id: 'keep' }]);
    });
  });
}
