import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { associatedData } from './credentials-vault.js';
import { type CompleteAuthorizationInput, OAuthFlow } from './oauth-flow.js';
import { ServiceError } from './service-error.js';
import {
  connectAccount,
  countRows,
  createEngineFixture,
  type EngineFixture,
  REDIRECT_URI,
  STATE_SECRET,
} from './test/engine-fixture.js';

const DIALECTS = await testDialects();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (ServiceError.is(error)) return error.code;
    throw error;
  }
  throw new Error('expected a ServiceError');
}

for (const dialect of DIALECTS) {
  describe(`OAuthFlow (${dialect})`, () => {
    let fixture: EngineFixture;
    let flow: OAuthFlow;

    beforeAll(async () => {
      fixture = await createEngineFixture(dialect);
      flow = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET });
    });
    afterAll(async () => {
      await fixture.close();
    });

    const start = () =>
      flow.startAuthorization({ userId: fixture.userId, connectorKey: 'acme', redirectUri: REDIRECT_URI });
    /** A new authorization, approved at the provider. */
    const approveNew = async () => fixture.provider.approve((await start()).authorizationUrl);
    /** The callback input for `approval` as the fixture's user on `acme`; `overrides` change single fields. */
    const callback = (
      approval: { code: string; state: string },
      overrides: Partial<CompleteAuthorizationInput> = {},
    ): CompleteAuthorizationInput => ({
      userId: fixture.userId,
      connectorKey: 'acme',
      code: approval.code,
      state: approval.state,
      ...overrides,
    });

    it('connects an account: start, approve at the provider, complete', async () => {
      const started = await start();
      const url = new URL(started.authorizationUrl);
      expect(url.origin).toBe(fixture.provider.url);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('state')).toBe(started.state);
      expect(started.authorizationUrl).not.toContain('code_verifier');
      const approval = await fixture.provider.approve(started.authorizationUrl);
      const result = await flow.completeAuthorization({
        userId: null,
        connectorKey: 'acme',
        code: approval.code,
        state: approval.state,
        callbackParams: approval.params,
      });
      expect(result.success).toBe(true);
      const connection = await fixture.handle.db
        .selectFrom('connections')
        .selectAll()
        .where('id', '=', result.connectionId)
        .executeTakeFirstOrThrow();
      expect(connection).toMatchObject({ user_id: fixture.userId, status: 'active', status_reason: null });
      const credentials = await fixture.handle.db
        .selectFrom('credentials')
        .selectAll()
        .where('connection_id', '=', result.connectionId)
        .executeTakeFirstOrThrow();
      expect(credentials.has_refresh_token).toBe(true);
      expect(credentials.expires_at).toBeInstanceOf(Date);
      expect(JSON.stringify(result)).not.toContain(approval.code);
      // The exchange sent a PKCE verifier (the fake checks it against the challenge and redacts its log).
      const exchange = fixture.provider.requests.find((request) => request.path === '/oauth/token');
      expect(exchange?.body).toHaveProperty('code_verifier');
    });

    it('re-authorizing an existing connection updates it instead of adding one', async () => {
      const before = await countRows(fixture.handle);
      const existing = await fixture.handle.db
        .selectFrom('connections')
        .select('id')
        .executeTakeFirstOrThrow();
      await fixture.handle.db
        .updateTable('connections')
        .set({ status: 'expired', status_reason: 'x' })
        .execute();
      const connectionId = await connectAccount(fixture, flow, { connectionId: existing.id });
      expect(connectionId).toBe(existing.id);
      expect(await countRows(fixture.handle)).toEqual(before);
      const row = await fixture.handle.db
        .selectFrom('connections')
        .selectAll()
        .where('id', '=', existing.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'active', status_reason: null });
    });

    it('refuses to start for unknown, disabled, unconfigured connectors and foreign connections', async () => {
      expect(
        await codeOf(
          flow.startAuthorization({
            userId: fixture.userId,
            connectorKey: 'nope',
            redirectUri: REDIRECT_URI,
          }),
        ),
      ).toBe('CFM_CONNECTOR_NOT_FOUND');
      fixture.connector.enabled = false;
      expect(await codeOf(start())).toBe('CFM_CONNECTOR_DISABLED');
      fixture.connector.enabled = true;
      const client = fixture.connector.client;
      fixture.connector.client = null;
      fixture.connector.missingVariables = ['ACME_CLIENT_ID', 'ACME_CLIENT_SECRET'];
      const error = await start().catch((caught: unknown) => caught);
      fixture.connector.client = client;
      fixture.connector.missingVariables = [];
      expect(ServiceError.is(error) && error.code).toBe('CFM_CONNECTOR_NOT_CONFIGURED');
      expect((error as Error).message).toContain('ACME_CLIENT_ID, ACME_CLIENT_SECRET');
      const existing = await fixture.handle.db
        .selectFrom('connections')
        .select('id')
        .executeTakeFirstOrThrow();
      expect(
        await codeOf(
          flow.startAuthorization({
            userId: fixture.otherUserId,
            connectorKey: 'acme',
            connectionId: existing.id,
            redirectUri: REDIRECT_URI,
          }),
        ),
      ).toBe('CFM_CONNECTION_NOT_FOUND');
    });

    describe('refuses a bad callback and stores nothing', () => {
      let before: { connections: number; credentials: number };
      let credentialsBefore: unknown;
      beforeAll(async () => {
        await fixture.handle.db.deleteFrom('connections').execute();
        before = await countRows(fixture.handle);
        credentialsBefore = before;
      });
      afterAll(async () => {
        expect(await countRows(fixture.handle)).toEqual(credentialsBefore);
      });

      it('tampered state', async () => {
        const approval = await approveNew();
        const tampered = `${approval.state.slice(0, -2)}${approval.state.endsWith('AA') ? 'BB' : 'AA'}`;
        for (const state of [tampered, 'garbage']) {
          expect(await codeOf(flow.completeAuthorization(callback(approval, { state }))), state).toBe(
            'CFM_OAUTH_STATE_INVALID',
          );
        }
        expect(await countRows(fixture.handle)).toEqual(before);
      });

      it('expired state', async () => {
        const approval = await approveNew();
        fixture.clockOffsetMs = 11 * 60 * 1000;
        try {
          expect(await codeOf(flow.completeAuthorization(callback(approval)))).toBe(
            'CFM_OAUTH_STATE_EXPIRED',
          );
        } finally {
          fixture.clockOffsetMs = 0;
        }
        expect(await countRows(fixture.handle)).toEqual(before);
      });

      it('foreign user and wrong connector, without spending the state', async () => {
        const approval = await approveNew();
        expect(
          await codeOf(flow.completeAuthorization(callback(approval, { userId: fixture.otherUserId }))),
        ).toBe('CFM_OAUTH_STATE_FOREIGN');
        expect(await codeOf(flow.completeAuthorization(callback(approval, { connectorKey: 'globex' })))).toBe(
          'CFM_OAUTH_STATE_MISMATCH',
        );
        expect(await countRows(fixture.handle)).toEqual(before);
        const state = await fixture.handle.db
          .selectFrom('oauth_states')
          .select('consumed_at')
          .where('id', '=', approval.state.split('.')[0] as string)
          .executeTakeFirstOrThrow();
        expect(state.consumed_at).toBeNull();
      });

      it('provider denial consumes the state and names the provider error', async () => {
        const started = await start();
        const denial = await fixture.provider.deny(started.authorizationUrl);
        expect(denial.error).toBe('access_denied');
        const error = await flow
          .completeAuthorization({
            userId: null,
            connectorKey: 'acme',
            state: denial.state ?? '',
            error: 'access_denied',
            errorDescription: 'no',
          })
          .catch((caught: unknown) => caught);
        expect(ServiceError.is(error) && error.code).toBe('CFM_OAUTH_PROVIDER_DENIED');
        expect((error as ServiceError).statusCode).toBe(400);
        expect((error as ServiceError).providerCode).toBe('access_denied');
        expect(
          await codeOf(
            flow.completeAuthorization({
              userId: null,
              connectorKey: 'acme',
              state: denial.state ?? '',
              code: 'x',
            }),
          ),
        ).toBe('CFM_OAUTH_STATE_USED');
      });

      for (const [label, status, body, providerCode] of [
        ['HTTP 400 invalid_grant', 400, { error: 'invalid_grant' }, 'invalid_grant'],
        ['HTTP 500', 500, { error: 'server_error' }, undefined],
        ['Slack-style HTTP 200 ok:false', 200, { ok: false, error: 'invalid_code' }, 'invalid_code'],
      ] as const) {
        it(`exchange failure: ${label}`, async () => {
          const approval = await approveNew();
          fixture.provider.failNext(1, status, body);
          const error = await flow
            .completeAuthorization(callback(approval))
            .catch((caught: unknown) => caught);
          expect(ServiceError.is(error) && error.code).toBe('CFM_OAUTH_EXCHANGE_FAILED');
          expect((error as ServiceError).statusCode).toBe(502);
          if (providerCode) expect((error as ServiceError).providerCode).toBe(providerCode);
          expect((error as Error).message).not.toContain(approval.code);
          expect(await countRows(fixture.handle)).toEqual(before);
        });
      }

      it('exchange failure: a real code the provider refuses (replayed at the provider)', async () => {
        const approval = await approveNew();
        const second = await start();
        const error = await flow
          .completeAuthorization(callback({ code: 'not-the-code', state: second.state }))
          .catch((caught: unknown) => caught);
        expect(ServiceError.is(error) && error.code).toBe('CFM_OAUTH_EXCHANGE_FAILED');
        expect(approval.code).not.toBe('not-the-code');
        expect(await countRows(fixture.handle)).toEqual(before);
      });
    });

    it('a replayed state is refused after success', async () => {
      const input = callback(await approveNew());
      await flow.completeAuthorization(input);
      expect(await codeOf(flow.completeAuthorization(input))).toBe('CFM_OAUTH_STATE_USED');
    });

    it('two concurrent callbacks with one state give exactly one success', async () => {
      const input = callback(await approveNew());
      const exchangesBefore = fixture.provider.counts.token;
      const results = await Promise.allSettled([
        flow.completeAuthorization(input),
        flow.completeAuthorization(input),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect(ServiceError.is(rejected?.reason) && rejected.reason.code).toBe('CFM_OAUTH_STATE_USED');
      expect(fixture.provider.counts.token).toBe(exchangesBefore + 1);
    });

    it('keeps every token, secret, code and verifier out of the database in clear', async () => {
      await fixture.handle.db.deleteFrom('connections').execute();
      const approval = await approveNew();
      await flow.completeAuthorization(callback(approval));
      await start();
      const secrets = [
        fixture.provider.clientSecret,
        approval.code,
        ...fixture.provider.tokens.map((token) => token.value),
      ];
      const states = await fixture.handle.db.selectFrom('oauth_states').selectAll().execute();
      for (const state of states) {
        if (state.code_verifier_ciphertext === null || state.key_id === null) continue;
        secrets.push(
          fixture.vault.open(
            { ciphertext: state.code_verifier_ciphertext, keyId: state.key_id },
            associatedData.oauthVerifier(state.id),
          ),
        );
      }
      expect(secrets.length).toBeGreaterThan(5);
      for (const table of ['users', 'connectors', 'connections', 'credentials', 'oauth_states'] as const) {
        const rows = await fixture.handle.db.selectFrom(table).selectAll().execute();
        const dump = JSON.stringify(rows);
        for (const secret of secrets) expect(dump, `${table} contains a secret`).not.toContain(secret);
      }
    });

    it('connectAccount helper works end to end', async () => {
      await fixture.handle.db.deleteFrom('connections').execute();
      const id = await connectAccount(fixture, flow);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
}
