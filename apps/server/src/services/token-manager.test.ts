import type { OAuth2Credentials } from '@cfm/connector-sdk';
import type { FakeOAuth2ProviderOptions } from '@cfm/connector-sdk/testing';
import type { Dialect } from '@cfm/db';
import { testDialects } from '@cfm/db/testing';
import { describe, expect, it } from 'vitest';
import { ServiceError } from './service-error.js';
import {
  connectAccount,
  connectionRow,
  credentialsRow,
  engineFixturePerTest,
  loadCredentials,
} from './test/engine-fixture.js';
import { TokenManager } from './token-manager.js';
import { RECONNECT_REASON } from './token-refresh-policy.js';

const DIALECTS = await testDialects();
// Tokens live 10 minutes; 7 minutes later they are inside the 5-minute margin.
const LIFETIME_SECONDS = 600;
const INTO_MARGIN_MS = 7 * 60 * 1000;

const openFixture = engineFixturePerTest();

async function setUp(dialect: Dialect, provider: FakeOAuth2ProviderOptions = {}) {
  const fixture = await openFixture(dialect, { provider: { expiresIn: LIFETIME_SECONDS, ...provider } });
  const connectionId = await connectAccount(fixture);
  const stored = async () => (await loadCredentials(fixture, connectionId)) as OAuth2Credentials;
  return { fixture, connectionId, manager: new TokenManager(fixture.context), stored };
}

for (const dialect of DIALECTS) {
  describe(`TokenManager (${dialect})`, () => {
    it('returns stored credentials without refreshing while the token is fresh', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const credentials = await manager.getFreshCredentials(connectionId);
      expect(credentials).toEqual(await stored());
      expect(fixture.provider.counts.refresh).toBe(0);
    });

    it('50 concurrent callers on an expiring connection cause exactly one refresh', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const before = await stored();
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => manager.getFreshCredentials(connectionId)),
      );
      expect(fixture.provider.counts.refresh).toBe(1);
      const tokens = new Set(results.map((result) => (result as OAuth2Credentials).accessToken));
      expect(tokens.size).toBe(1);
      expect(tokens.has(before.accessToken)).toBe(false);
      expect((await stored()).accessToken).toBe([...tokens][0]);
    });

    it('refreshIfDue (the background refresher) leaves a fresh token alone and shares a due refresh with callers', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const before = await stored();
      expect(await manager.refreshIfDue(connectionId)).toEqual(before);
      expect(fixture.provider.counts.refresh).toBe(0);
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      const [background, ...callers] = await Promise.all([
        manager.refreshIfDue(connectionId),
        ...Array.from({ length: 20 }, () => manager.getFreshCredentials(connectionId)),
      ]);
      expect(fixture.provider.counts.refresh).toBe(1);
      const tokens = new Set(
        [background, ...callers].map((result) => (result as OAuth2Credentials).accessToken),
      );
      expect(tokens.size).toBe(1);
      expect(tokens.has(before.accessToken)).toBe(false);
      expect((await stored()).accessToken).toBe([...tokens][0]);
    });

    it('stores the rotated refresh token: the old one is dead at the provider, the next refresh works', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const first = await stored();
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      await manager.getFreshCredentials(connectionId);
      const second = await stored();
      expect(second.refreshToken).toBeDefined();
      expect(second.refreshToken).not.toBe(first.refreshToken);
      const old = fixture.provider.tokens.find((token) => token.value === first.refreshToken);
      expect(old?.state).not.toBe('active');
      fixture.clockOffsetMs = INTO_MARGIN_MS * 2;
      const third = (await manager.getFreshCredentials(connectionId)) as OAuth2Credentials;
      expect(fixture.provider.counts.refresh).toBe(2);
      expect(third.accessToken).not.toBe(second.accessToken);
    });

    it('keeps the old refresh token when the provider answers without one', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect, {
        rotateRefreshTokens: false,
        refreshResponseIncludesRefreshToken: false,
      });
      const first = await stored();
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      const refreshed = (await manager.getFreshCredentials(connectionId)) as OAuth2Credentials;
      expect(refreshed.accessToken).not.toBe(first.accessToken);
      expect(refreshed.refreshToken).toBe(first.refreshToken);
      expect((await stored()).refreshToken).toBe(first.refreshToken);
    });

    for (const errorShape of ['oauth', 'atlassian'] as const) {
      it(`invalid_grant (${errorShape}) marks the connection expired with a reconnect reason`, async () => {
        const { fixture, connectionId, manager, stored } = await setUp(dialect, { errorShape });
        fixture.provider.revokeToken((await stored()).refreshToken as string);
        fixture.clockOffsetMs = INTO_MARGIN_MS;
        const error = await manager.getFreshCredentials(connectionId).catch((caught: unknown) => caught);
        expect(ServiceError.is(error) && error.code).toBe('CFM_CONNECTION_EXPIRED');
        expect((error as ServiceError).providerCode).toBe('invalid_grant');
        const connection = await connectionRow(fixture, connectionId);
        expect(connection).toMatchObject({ status: 'expired', status_reason: RECONNECT_REASON });
        // No second attempt with a dead refresh token.
        const refreshes = fixture.provider.counts.refresh;
        await manager.getFreshCredentials(connectionId).catch(() => undefined);
        expect(fixture.provider.counts.refresh).toBe(refreshes);
      });
    }

    it('backs off after a transient failure, keeps the status and reports a retryable error', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const before = await stored();
      fixture.clockOffsetMs = INTO_MARGIN_MS;
      fixture.provider.failNext(1, 503, { error: 'temporarily_unavailable' });
      const error = await manager.getFreshCredentials(connectionId).catch((caught: unknown) => caught);
      expect(ServiceError.is(error) && error.code).toBe('CFM_TOKEN_REFRESH_FAILED');
      expect((error as ServiceError).retryable).toBe(true);
      const row = await credentialsRow(fixture, connectionId);
      expect(row.refresh_failures).toBe(1);
      expect(row.next_refresh_at?.getTime()).toBeGreaterThan(Date.now() + INTO_MARGIN_MS);
      const connection = await connectionRow(fixture, connectionId);
      expect(connection.status).toBe('active');
      // During the backoff the still-valid token is handed out without asking the provider again.
      const attempts = fixture.provider.counts.refresh;
      expect(await manager.getFreshCredentials(connectionId)).toEqual(before);
      expect(fixture.provider.counts.refresh).toBe(attempts);
    });

    it('refreshes when the caller saw the access token rejected, once', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const before = await stored();
      const results = await Promise.all([
        manager.getFreshCredentials(connectionId, { rejectedAccessToken: before.accessToken }),
        manager.getFreshCredentials(connectionId, { rejectedAccessToken: before.accessToken }),
      ]);
      expect(fixture.provider.counts.refresh).toBe(1);
      expect((results[0] as OAuth2Credentials).accessToken).not.toBe(before.accessToken);
      // A stale rejection (the token already changed) does not refresh again.
      await manager.getFreshCredentials(connectionId, { rejectedAccessToken: before.accessToken });
      expect(fixture.provider.counts.refresh).toBe(1);
    });

    it('concurrent callers on a fresh token share one read (one decrypted object)', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => manager.getFreshCredentials(connectionId)),
      );
      expect(new Set(results).size).toBe(1);
      expect(results[0]).toEqual(await stored());
      expect(fixture.provider.counts.refresh).toBe(0);
      // The shared read is over: the next caller reads the row again.
      expect(await manager.getFreshCredentials(connectionId)).not.toBe(results[0]);
    });

    it('a caller whose token was rejected never joins a read that would hand it back', async () => {
      const { fixture, connectionId, manager, stored } = await setUp(dialect);
      const before = await stored();
      // The plain read starts first and is still in flight when the retry comes in.
      const [, retried] = await Promise.all([
        manager.getFreshCredentials(connectionId),
        manager.getFreshCredentials(connectionId, { rejectedAccessToken: before.accessToken }),
      ]);
      expect((retried as OAuth2Credentials).accessToken).not.toBe(before.accessToken);
      expect(fixture.provider.counts.refresh).toBe(1);
      // After the refresh, plain callers get the new token.
      const after = (await manager.getFreshCredentials(connectionId)) as OAuth2Credentials;
      expect(after.accessToken).toBe((retried as OAuth2Credentials).accessToken);
    });

    it('a failed shared read is not kept: the next caller tries again', async () => {
      const { fixture, connectionId, manager } = await setUp(dialect);
      const saved = await credentialsRow(fixture, connectionId);
      await fixture.handle.db.deleteFrom('credentials').execute();
      const failures = await Promise.all(
        Array.from({ length: 5 }, () =>
          manager.getFreshCredentials(connectionId).catch((caught: unknown) => caught),
        ),
      );
      for (const error of failures) {
        expect(ServiceError.is(error) && error.code).toBe('CFM_CREDENTIALS_MISSING');
      }
      await fixture.handle.db.insertInto('credentials').values(saved).execute();
      await expect(manager.getFreshCredentials(connectionId)).resolves.toMatchObject({ type: 'oauth2' });
    });

    it('says so when there are no credentials', async () => {
      const { fixture, connectionId, manager } = await setUp(dialect);
      await fixture.handle.db.deleteFrom('credentials').execute();
      const error = await manager.getFreshCredentials(connectionId).catch((caught: unknown) => caught);
      expect(ServiceError.is(error) && error.code).toBe('CFM_CREDENTIALS_MISSING');
    });
  });
}
