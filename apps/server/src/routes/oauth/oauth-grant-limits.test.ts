import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PENDING_AUTHORIZATIONS } from '../../services/oauth-state-store.js';
import { customConnectorBody } from '../../test/custom-connector-body.js';
import { ACME_ORIGIN, createOAuthTestApp, type OAuthTestApp } from './test/oauth-test-app.js';

const DIALECTS = await testDialects();
const ISSUER = 'https://auth.acme.example';

for (const dialect of DIALECTS) {
  describe(`OAuth routes: grants, issuers and pending attempts (${dialect})`, () => {
    let test: OAuthTestApp;
    /** The `scope` the fake answers the next exchanges with; undefined = what was asked. */
    let grantedScope: string | undefined;

    beforeAll(async () => {
      test = await createOAuthTestApp(dialect, {
        provider: {
          tokenResponse: (standard) =>
            grantedScope === undefined ? standard : { ...standard, scope: grantedScope },
        },
      });
      const declared = customConnectorBody('acme-iss', ACME_ORIGIN, test.provider);
      const created = await test.call('POST', '/api/connectors/', {
        token: test.admin,
        body: { ...declared, auth: { ...declared.auth, issuer: ISSUER } },
      });
      expect(created.statusCode, created.body).toBe(201);
    });
    afterAll(async () => {
      await test?.close();
    });
    beforeEach(async () => {
      grantedScope = undefined;
      await test.handle.db.deleteFrom('connections').execute();
    });

    const callback = (key: string, body: Record<string, string>, token = test.alice) =>
      test.call('POST', `/api/oauth/${key}/callback`, { body, token });

    it('a provider granting less than the connector requires: 200 success:false, the connection shows why', async () => {
      grantedScope = 'profile';
      const approval = await test.provider.approve(
        (await test.authorize('acme', test.alice)).authorization_url,
      );
      const response = await callback('acme', { code: approval.code, state: approval.state });
      expect(response.statusCode, response.body).toBe(200);
      const result = response.json();
      expect(result).toMatchObject({ success: false, status: 'error', warnings: [] });
      expect(result.message).toContain('required scopes read');
      const view = await test.call('GET', `/api/connections/${result.connection_id}`);
      expect(view.json()).toMatchObject({
        status: 'error',
        status_reason: result.message,
        has_credentials: true,
        scopes: ['profile'],
      });
      for (const token of test.provider.tokens) expect(response.body + view.body).not.toContain(token.value);
    });

    it('RFC 9207: a callback naming another issuer is refused before the code exchange', async () => {
      const before = await test.counts();
      const exchanges = test.provider.counts.token;
      const started = await test.authorize('acme-iss', test.alice);
      const approval = await test.provider.approve(started.authorization_url);
      const refused = await callback('acme-iss', {
        code: approval.code,
        state: approval.state,
        iss: 'https://attacker.example',
      });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json()).toMatchObject({ statusCode: 400, code: 'CFM_OAUTH_ISSUER_MISMATCH' });
      expect(refused.body).not.toContain(approval.code);
      expect(test.provider.counts.token).toBe(exchanges);
      expect(await test.counts()).toEqual(before);
      // Spent: the attempt cannot be retried with a corrected `iss`.
      const retried = await callback('acme-iss', { code: approval.code, state: approval.state, iss: ISSUER });
      expect(retried.json().code).toBe('CFM_OAUTH_STATE_USED');

      const again = await test.provider.approve(
        (await test.authorize('acme-iss', test.alice)).authorization_url,
      );
      const accepted = await callback('acme-iss', { code: again.code, state: again.state, iss: ISSUER });
      expect(accepted.statusCode, accepted.body).toBe(200);
      const shown = await test.call('GET', '/api/connectors/acme-iss');
      expect(shown.json().custom?.auth?.issuer ?? shown.body).toContain(ISSUER);
    });

    it('a custom connector whose issuer is not a URL is refused', async () => {
      const declared = customConnectorBody('acme-bad-iss', ACME_ORIGIN, test.provider);
      const response = await test.call('POST', '/api/connectors/', {
        token: test.admin,
        body: { ...declared, auth: { ...declared.auth, issuer: 'not a url' } },
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.body).toContain('issuer');
    });

    it(`50 authorize calls leave at most ${MAX_PENDING_AUTHORIZATIONS} pending attempts`, async () => {
      const answers = [];
      for (let index = 0; index < 50; index += 1) answers.push(await test.authorize('acme', test.bob));
      const pending = await test.handle.db
        .selectFrom('oauth_states')
        .innerJoin('users', 'users.id', 'oauth_states.user_id')
        .innerJoin('connectors', 'connectors.id', 'oauth_states.connector_id')
        .select('oauth_states.id')
        .where('users.email', '=', 'bob@example.com')
        .where('connectors.key', '=', 'acme')
        .where('oauth_states.consumed_at', 'is', null)
        .execute();
      expect(pending.length).toBe(MAX_PENDING_AUTHORIZATIONS);
      const kept = new Set(pending.map((row) => row.id));
      const isKept = (answer: { state: string }) => kept.has(answer.state.split('.')[0]!);
      // The newest are kept, the oldest dropped (away from the boundary, where starts in one millisecond tie).
      expect(answers.slice(-10).every(isKept)).toBe(true);
      expect(answers.slice(0, 10).some(isKept)).toBe(false);
      const oldest = await test.provider.approve(answers[0]!.authorization_url);
      const refused = await callback('acme', { code: oldest.code, state: oldest.state }, test.bob);
      expect(refused.json().code).toBe('CFM_OAUTH_STATE_INVALID');
    });
  });
}
