import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthTestApp, FRONTEND, type OAuthTestApp } from './test/oauth-test-app.js';

const DIALECTS = await testDialects();

/** Every secret the fake issued (access and refresh tokens). */
function issuedTokens(test: OAuthTestApp): string[] {
  return test.provider.tokens.map((token) => token.value);
}

for (const dialect of DIALECTS) {
  describe(`OAuth routes: the happy path (${dialect})`, () => {
    let test: OAuthTestApp;

    beforeAll(async () => {
      test = await createOAuthTestApp(dialect, {
        env: { DATADOG_CLIENT_ID: 'dd-client', DATADOG_CLIENT_SECRET: 'dd-secret-value' },
      });
    });
    afterAll(async () => {
      await test?.close();
    });

    it('authorize → approve at the provider → POST callback → test → revoke (twice)', async () => {
      const started = await test.authorize('acme', test.alice);
      const url = new URL(started.authorization_url);
      expect(url.searchParams.get('state')).toBe(started.state);
      expect(url.searchParams.get('redirect_uri')).toBe(`${FRONTEND}/oauth/callback`);
      expect(url.searchParams.get('client_id')).toBe(test.provider.clientId);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');

      const approval = await test.provider.approve(started.authorization_url);
      const completed = await test.call('POST', '/api/oauth/acme/callback', {
        body: { code: approval.code, state: approval.state },
      });
      expect(completed.statusCode, completed.body).toBe(200);
      const result = completed.json();
      expect(result).toMatchObject({
        success: true,
        status: 'active',
        message: 'Connected to Acme',
        warnings: [],
      });
      // The default setup binds nothing to the browser: the front end's page posts the parameters.
      expect((await test.call('GET', '/api/oauth/acme/authorize')).headers['set-cookie']).toBeUndefined();
      for (const secret of [approval.code, ...issuedTokens(test)])
        expect(completed.body).not.toContain(secret);

      const connection = await test.handle.db
        .selectFrom('connections')
        .selectAll()
        .where('id', '=', result.connection_id)
        .executeTakeFirstOrThrow();
      expect(connection.status).toBe('active');
      const credentials = await test.handle.db
        .selectFrom('credentials')
        .selectAll()
        .where('connection_id', '=', result.connection_id)
        .executeTakeFirstOrThrow();
      for (const secret of issuedTokens(test)) expect(JSON.stringify(credentials)).not.toContain(secret);

      const tested = await test.call('POST', `/api/connections/${result.connection_id}/test`);
      expect(tested.statusCode, tested.body).toBe(200);
      expect(tested.json()).toMatchObject({ success: true, identity: { account_id: 'fake-user-1' } });

      const revokeUrl = `/api/oauth/acme/revoke/${result.connection_id}`;
      expect((await test.call('DELETE', revokeUrl, { token: test.bob })).statusCode).toBe(404);
      expect((await test.call('DELETE', `/api/oauth/slacky/revoke/${result.connection_id}`)).statusCode).toBe(
        404,
      );
      const revoked = await test.call('DELETE', revokeUrl);
      expect(revoked.statusCode, revoked.body).toBe(204);
      expect(test.provider.counts.revoke).toBe(1);
      expect(test.provider.tokens.every((token) => token.state === 'revoked')).toBe(true);
      expect(await test.counts()).toEqual({ connections: 1, credentials: 0 });
      const after = await test.handle.db
        .selectFrom('connections')
        .select('status')
        .where('id', '=', result.connection_id)
        .executeTakeFirstOrThrow();
      expect(after.status).toBe('revoked');

      const again = await test.call('DELETE', revokeUrl);
      expect(again.statusCode).toBe(204);
      expect(test.provider.counts.revoke).toBe(1);
      expect((await test.call('DELETE', revokeUrl, { token: test.bob })).statusCode).toBe(404);

      const logs = test.logs();
      expect(logs).toContain('oauth connection authorized');
      for (const secret of [approval.code, test.provider.clientSecret, ...issuedTokens(test)]) {
        expect(logs).not.toContain(secret);
      }
    });

    it('reconnecting an existing connection (connection_id) updates it, and only its owner may', async () => {
      const first = await test.authorize('acme', test.alice);
      const approval = await test.provider.approve(first.authorization_url);
      const completed = await test.call('POST', '/api/oauth/acme/callback', {
        body: { code: approval.code, state: approval.state },
      });
      const connectionId = completed.json().connection_id as string;

      const foreign = await test.call('GET', `/api/oauth/acme/authorize?connection_id=${connectionId}`, {
        token: test.bob,
      });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().code).toBe('CFM_CONNECTION_NOT_FOUND');

      const again = await test.authorize('acme', test.alice, `?connection_id=${connectionId}`);
      const reapproval = await test.provider.approve(again.authorization_url);
      const reconnected = await test.call('POST', '/api/oauth/acme/callback', {
        body: { code: reapproval.code, state: reapproval.state, connection_id: connectionId },
      });
      expect(reconnected.statusCode, reconnected.body).toBe(200);
      expect(reconnected.json().connection_id).toBe(connectionId);
    });

    it("a first connect uses the connector's config defaults (Datadog's site fills its URLs)", async () => {
      const started = await test.authorize('datadog', test.alice);
      const url = new URL(started.authorization_url);
      expect(`${url.origin}${url.pathname}`).toBe('https://app.datadoghq.com/oauth2/v1/authorize');
      const pending = await test.handle.db
        .selectFrom('oauth_states')
        .select('config')
        .where('id', '=', started.state.split('.')[0]!)
        .executeTakeFirstOrThrow();
      expect(pending.config).toEqual({ site: 'datadoghq.com' });
    });

    // The GET callback (provider → back end) has its own suite: oauth-get-callback.test.ts.

    it('two concurrent callbacks with one state: exactly one succeeds, one code exchange', async () => {
      const exchangesBefore = test.provider.counts.token;
      const started = await test.authorize('acme', test.alice);
      const approval = await test.provider.approve(started.authorization_url);
      const body = { code: approval.code, state: approval.state };
      const answers = await Promise.all([
        test.call('POST', '/api/oauth/acme/callback', { body }),
        test.call('POST', '/api/oauth/acme/callback', { body }),
      ]);
      const statuses = answers.map((answer) => answer.statusCode).sort();
      expect(statuses).toEqual([200, 400]);
      expect(answers.find((answer) => answer.statusCode === 400)?.json().code).toBe('CFM_OAUTH_STATE_USED');
      expect(test.provider.counts.token - exchangesBefore).toBe(1);
    });
  });
}
