import type { OAuth2Credentials } from '@cfm/connector-sdk';
import type { Dialect } from '@cfm/db';
import { testDialects } from '@cfm/db/testing';
import { describe, expect, it } from 'vitest';
import { ConnectionTester } from './connection-tester.js';
import { CredentialStore } from './credential-store.js';
import { OAuthFlow } from './oauth-flow.js';
import { revokeConnection } from './revoke.js';
import { ServiceError } from './service-error.js';
import {
  connectAccount,
  connectionRow,
  engineFixturePerTest,
  loadCredentials,
  REDIRECT_URI,
  STATE_SECRET,
} from './test/engine-fixture.js';
import { TokenManager } from './token-manager.js';

const DIALECTS = await testDialects();
const openFixture = engineFixturePerTest();

async function setUp(dialect: Dialect) {
  const fixture = await openFixture(dialect);
  const connectionId = await connectAccount(fixture);
  const tester = new ConnectionTester(fixture.context, new TokenManager(fixture.context));
  const connection = () => connectionRow(fixture, connectionId);
  const stored = () => loadCredentials(fixture, connectionId);
  return { fixture, connectionId, tester, connection, stored };
}

for (const dialect of DIALECTS) {
  describe(`ConnectionTester and an incomplete grant (${dialect})`, () => {
    /** A fixture whose fake grants `scope` (or leaves the refresh token out) whatever was asked. */
    async function incomplete(
      grant: { scope?: string; noRefreshToken?: boolean },
      scopes: { required: string[]; optional?: string[] },
      requested?: string[],
    ) {
      const fixture = await openFixture(dialect, {
        descriptor: { scopes },
        provider: {
          tokenResponse(standard) {
            const body = { ...standard };
            if (grant.scope !== undefined) body['scope'] = grant.scope;
            if (grant.noRefreshToken) delete body['refresh_token'];
            return body;
          },
        },
      });
      const flow = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET });
      const started = await flow.startAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        redirectUri: REDIRECT_URI,
        ...(requested && { scopes: requested }),
      });
      const approval = await fixture.provider.approve(started.authorizationUrl);
      const { connectionId } = await flow.completeAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        code: approval.code,
        state: approval.state,
      });
      const tester = new ConnectionTester(fixture.context, new TokenManager(fixture.context));
      return { fixture, connectionId, tester, connection: () => connectionRow(fixture, connectionId) };
    }

    it('a required scope still missing: the check passes, yet the connection stays error', async () => {
      const { fixture, connectionId, tester, connection } = await incomplete(
        { scope: 'read' },
        { required: ['read', 'write'] },
      );
      const stored = await connection();
      expect(stored.status).toBe('error');
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result.success).toBe(false);
      expect(result.message).toContain('required scopes write');
      expect(result.identity).toMatchObject({ accountId: 'fake-user-1' });
      const after = await connection();
      expect(after).toMatchObject({ status: 'error', identity: { accountId: 'fake-user-1' } });
      expect(after.status_reason).toContain('required scopes write');
      expect(after.last_tested_at).toBeInstanceOf(Date);
    });

    it('no refresh token although offline_access was asked for: stays error after a passing check', async () => {
      const { fixture, connectionId, tester, connection } = await incomplete(
        { noRefreshToken: true },
        { required: ['read'], optional: ['offline_access'] },
        ['read', 'offline_access'],
      );
      // offline_access was only optional here: the grant check's own reason is what tells it was asked for.
      const reason = (await connection()).status_reason;
      expect(reason).toContain('no refresh token');
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result.success).toBe(false);
      expect(await connection()).toMatchObject({ status: 'error', status_reason: reason });
    });

    it('a complete grant in error for another reason becomes active; an active one keeps its warning', async () => {
      const { fixture, connectionId, tester, connection } = await incomplete(
        { scope: 'read' },
        { required: ['read'], optional: ['admin'] },
        ['read', 'admin'],
      );
      const warning = (await connection()).status_reason;
      expect(warning).toContain('optional scopes admin');
      expect((await tester.testConnection({ connectionId, userId: fixture.userId })).success).toBe(true);
      expect(await connection()).toMatchObject({ status: 'active', status_reason: warning });
      await fixture.handle.db
        .updateTable('connections')
        .set({ status: 'error', status_reason: 'The provider answered HTTP 400' })
        .where('id', '=', connectionId)
        .execute();
      expect((await tester.testConnection({ connectionId, userId: fixture.userId })).success).toBe(true);
      expect(await connection()).toMatchObject({ status: 'active', status_reason: null });
    });
  });

  describe(`ConnectionTester and revoke (${dialect})`, () => {
    it('checks the account over real HTTP, stores identity and returns at most 5 sample items', async () => {
      const { fixture, connectionId, tester, connection } = await setUp(dialect);
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result.success).toBe(true);
      expect(result.identity).toMatchObject({ accountId: 'fake-user-1', displayName: 'Fake User' });
      expect(result.sample_data?.items).toHaveLength(5);
      const row = await connection();
      expect(row).toMatchObject({
        status: 'active',
        status_reason: null,
        identity: { accountId: 'fake-user-1' },
      });
      expect(row.metadata).toMatchObject({ checked: true });
      expect(row.last_tested_at).toBeInstanceOf(Date);
    });

    it('refreshes once after a 401 and succeeds with the new token', async () => {
      const { fixture, connectionId, tester } = await setUp(dialect);
      fixture.provider.expireAccessTokens();
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result.success).toBe(true);
      expect(fixture.provider.counts.refresh).toBe(1);
    });

    it('marks the connection expired when the provider refuses the refresh after a 401', async () => {
      const { fixture, connectionId, tester, connection, stored } = await setUp(dialect);
      const credentials = (await stored()) as OAuth2Credentials;
      fixture.provider.revokeToken(credentials.accessToken);
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result.success).toBe(false);
      expect(result.message).toContain('Reconnect needed');
      expect((await connection()).status).toBe('expired');
    });

    it('reports rate limiting without calling the credentials broken', async () => {
      const { fixture, connectionId, tester, connection } = await setUp(dialect);
      fixture.provider.rateLimitNext(10, { 'retry-after': '30' });
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      fixture.provider.rateLimitNext(0);
      expect(result.success).toBe(false);
      expect(result.message).toMatch(/rate limited/i);
      expect((await connection()).status).toBe('active');
    });

    it('answers clearly when there are no credentials and leaves the status alone', async () => {
      const { fixture, connectionId, tester, connection } = await setUp(dialect);
      await fixture.handle.db.deleteFrom('credentials').execute();
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result).toEqual({
        success: false,
        message: 'No credentials: connect the account first',
        identity: null,
        sample_data: null,
      });
      expect((await connection()).status).toBe('active');
    });

    it("hides other users' connections", async () => {
      const { fixture, connectionId, tester } = await setUp(dialect);
      const error = await tester
        .testConnection({ connectionId, userId: fixture.otherUserId })
        .catch((caught: unknown) => caught);
      expect(ServiceError.is(error) && error.code).toBe('CFM_CONNECTION_NOT_FOUND');
      const revokeError = await revokeConnection(fixture.context, {
        connectionId,
        userId: fixture.otherUserId,
      }).catch((caught: unknown) => caught);
      expect(ServiceError.is(revokeError) && revokeError.code).toBe('CFM_CONNECTION_NOT_FOUND');
    });

    it('works with API-key credentials stored sealed', async () => {
      const { fixture, connectionId, tester, connection, stored } = await setUp(dialect);
      const issued = fixture.provider.issueTokensDirectly();
      // Stored as POST /api/connections stores typed-in keys (that route's tests cover the field checks).
      await new CredentialStore(fixture.context.vault).save(
        fixture.handle.db,
        connectionId,
        { type: 'api_key', values: { apiKey: issued.accessToken } },
        new Date(),
      );
      expect(await stored()).toEqual({ type: 'api_key', values: { apiKey: issued.accessToken } });
      const raw = await fixture.handle.db.selectFrom('credentials').selectAll().execute();
      expect(JSON.stringify(raw)).not.toContain(issued.accessToken);
      const result = await tester.testConnection({ connectionId, userId: fixture.userId });
      expect(result.success).toBe(true);
      expect((await connection()).status).toBe('active');
    });

    it('revokes at the provider, deletes the credentials, and is idempotent', async () => {
      const { fixture, connectionId, connection, stored } = await setUp(dialect);
      const credentials = (await stored()) as OAuth2Credentials;
      const result = await revokeConnection(fixture.context, { connectionId, userId: fixture.userId });
      expect(result).toMatchObject({ revoked: true, providerRevoked: true, providerError: null });
      expect(fixture.provider.counts.revoke).toBe(1);
      expect(fixture.provider.tokens.find((token) => token.value === credentials.refreshToken)?.state).toBe(
        'revoked',
      );
      expect(await stored()).toBeUndefined();
      expect((await connection()).status).toBe('revoked');
      const again = await revokeConnection(fixture.context, { connectionId, userId: fixture.userId });
      expect(again).toMatchObject({ revoked: true, providerRevoked: null });
      expect(fixture.provider.counts.revoke).toBe(1);
    });

    it('deletes local credentials even when the provider revocation fails', async () => {
      const { fixture, connectionId, connection, stored } = await setUp(dialect);
      fixture.provider.failNext(1, 500, { error: 'server_error' });
      const result = await revokeConnection(fixture.context, { connectionId, userId: fixture.userId });
      expect(result.providerRevoked).toBe(false);
      expect(result.providerError).toBeTruthy();
      expect(await stored()).toBeUndefined();
      expect((await connection()).status).toBe('revoked');
    });
  });
}
