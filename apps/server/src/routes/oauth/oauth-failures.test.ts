import { testDialects } from '@cfm/db/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthStateSigner, STATE_TTL_MS } from '../../services/oauth-state-token.js';
import { customConnectorBody } from '../../test/custom-connector-body.js';
import { TEST_JWT_SECRET } from '../../test/helpers.js';
import { ACME_ORIGIN, createOAuthTestApp, type OAuthTestApp } from './test/oauth-test-app.js';

const DIALECTS = await testDialects();

for (const dialect of DIALECTS) {
  describe(`OAuth routes: failures store nothing (${dialect})`, () => {
    let test: OAuthTestApp;
    let before: { connections: number; credentials: number };

    beforeAll(async () => {
      test = await createOAuthTestApp(dialect);
    });
    afterAll(async () => {
      await test?.close();
    });
    beforeEach(async () => {
      before = await test.counts();
    });
    afterEach(async () => {
      expect(await test.counts()).toEqual(before);
    });

    async function expectError(
      response: Awaited<ReturnType<OAuthTestApp['call']>>,
      statusCode: number,
      code: string,
    ): Promise<Record<string, unknown>> {
      expect(response.statusCode, response.body).toBe(statusCode);
      const body = response.json();
      expect(body).toMatchObject({
        statusCode,
        code,
        error: expect.any(String),
        message: expect.any(String),
      });
      return body;
    }

    /** Authorize as alice and approve at the fake: a live code and state. */
    async function approved(key = 'acme') {
      const started = await test.authorize(key, test.alice);
      return (key === 'acme' ? test.provider : test.slack).approve(started.authorization_url);
    }

    const callback = (key: string, body: unknown, token?: string) =>
      test.call('POST', `/api/oauth/${key}/callback`, { body, ...(token !== undefined && { token }) });

    it('unknown connector: 404', async () => {
      await expectError(await test.call('GET', '/api/oauth/nope/authorize'), 404, 'CFM_CONNECTOR_NOT_FOUND');
    });

    it('packaged connector without client credentials: 409 naming the variables', async () => {
      const body = await expectError(
        await test.call('GET', '/api/oauth/notion/authorize'),
        409,
        'CFM_CONNECTOR_NOT_CONFIGURED',
      );
      expect(body['missing_variables']).toEqual(['NOTION_CLIENT_ID', 'NOTION_CLIENT_SECRET']);
      expect(body['message']).toContain('NOTION_CLIENT_ID');
    });

    it('disabled connector: 409', async () => {
      const created = await test.call('POST', '/api/connectors/', {
        token: test.admin,
        body: { ...customConnectorBody('offline', ACME_ORIGIN, test.provider), enabled: false },
      });
      expect(created.statusCode, created.body).toBe(201);
      await expectError(
        await test.call('GET', '/api/oauth/offline/authorize'),
        409,
        'CFM_CONNECTOR_DISABLED',
      );
    });

    it('authorize needs a signed-in user', async () => {
      await expectError(
        await test.call('GET', '/api/oauth/acme/authorize', { token: null }),
        401,
        'CFM_AUTH_REQUIRED',
      );
    });

    it('tampered state: 400 CFM_OAUTH_STATE_INVALID', async () => {
      const approval = await approved();
      const last = approval.state.at(-1) === 'A' ? 'B' : 'A';
      const tampered = `${approval.state.slice(0, -1)}${last}`;
      await expectError(
        await callback('acme', { code: approval.code, state: tampered }),
        400,
        'CFM_OAUTH_STATE_INVALID',
      );
    });

    it('expired state: 400 CFM_OAUTH_STATE_EXPIRED', async () => {
      // Signed with the server's real key (derived from the JWT secret), but expired.
      const expired = new OAuthStateSigner(TEST_JWT_SECRET).issue(
        new Date(Date.now() - STATE_TTL_MS - 60_000),
      );
      await expectError(
        await callback('acme', { code: 'any', state: expired.token }),
        400,
        'CFM_OAUTH_STATE_EXPIRED',
      );
    });

    it("another user's state: 403, and the owner can still finish", async () => {
      const approval = await approved();
      const body = { code: approval.code, state: approval.state };
      await expectError(await callback('acme', body, test.bob), 403, 'CFM_OAUTH_STATE_FOREIGN');
      await expectError(await callback('slacky', body), 400, 'CFM_OAUTH_STATE_MISMATCH');
      // Not burned by the stranger: the rightful user completes it (and we undo that for the row count).
      const completed = await callback('acme', body);
      expect(completed.statusCode, completed.body).toBe(200);
      await test.handle.db.deleteFrom('credentials').execute();
      await test.handle.db.deleteFrom('connections').execute();
      await expectError(await callback('acme', body), 400, 'CFM_OAUTH_STATE_USED');
    });

    it('provider access_denied: 400 with provider_error, and the state is spent', async () => {
      const started = await test.authorize('acme', test.alice);
      const denial = await test.provider.deny(started.authorization_url);
      const body = await expectError(
        await callback('acme', {
          state: String(denial.state),
          error: String(denial.error),
          error_description: 'no',
        }),
        400,
        'CFM_OAUTH_PROVIDER_DENIED',
      );
      expect(body['provider_error']).toBe('access_denied');
      await expectError(
        await callback('acme', { state: String(denial.state), code: 'x' }),
        400,
        'CFM_OAUTH_STATE_USED',
      );
    });

    it('a code the provider refuses (HTTP 400 invalid_grant): 502 with provider_error, no code echoed', async () => {
      const approval = await approved();
      const bogus = `${approval.code}-not-it`;
      const response = await callback('acme', { code: bogus, state: approval.state });
      const body = await expectError(response, 502, 'CFM_OAUTH_EXCHANGE_FAILED');
      expect(body['provider_error']).toBe('invalid_grant');
      expect(response.body).not.toContain(approval.code);
    });

    it('the provider fails the exchange (HTTP 500): 502', async () => {
      const approval = await approved();
      test.provider.failNext(10, 500, { error: 'server_error' });
      try {
        await expectError(
          await callback('acme', { code: approval.code, state: approval.state }),
          502,
          'CFM_OAUTH_EXCHANGE_FAILED',
        );
      } finally {
        test.provider.failNext(0);
      }
    });

    it('Slack-style HTTP 200 {ok:false}: 502 with the provider error name', async () => {
      const approval = await approved('slacky');
      const body = await expectError(
        await callback('slacky', { code: `${approval.code}-not-it`, state: approval.state }),
        502,
        'CFM_OAUTH_EXCHANGE_FAILED',
      );
      expect(body['provider_error']).toBe('invalid_code');
    });

    it('callback body: extra string parameters pass, anything else is refused', async () => {
      const approval = await approved();
      await expectError(
        await callback('acme', { code: approval.code, state: approval.state, domain: 5 }),
        400,
        'CFM_VALIDATION',
      );
      await expectError(await callback('acme', { code: approval.code }), 400, 'CFM_VALIDATION');
      // A string extra is accepted by the schema (it reaches the state check).
      await expectError(
        await callback('acme', { code: approval.code, state: 'not-a-state', domain: 'datadoghq.eu' }),
        400,
        'CFM_OAUTH_STATE_INVALID',
      );
    });
  });
}
