import { type FakeOAuth2Provider, startFakeOAuth2Provider } from '@cfm/connector-sdk/testing/fakes';
import { testDialects } from '@cfm/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthFlow } from './oauth-flow.js';
import { MAX_PENDING_AUTHORIZATIONS } from './oauth-state-store.js';
import { ServiceError } from './service-error.js';
import {
  connectionRow,
  countRows,
  createEngineFixture,
  credentialsRow,
  type EngineFixture,
  REDIRECT_URI,
  STATE_SECRET,
} from './test/engine-fixture.js';

const DIALECTS = await testDialects();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (ServiceError.is(error)) return error.code;
  throw new Error(`expected a ServiceError, got ${String(error)}`);
}

/** How the fake's token answer is bent for the next exchanges (a provider granting less than asked). */
interface Grant {
  /** The `scope` to answer with; undefined keeps what was asked, null leaves `scope` out. */
  scope?: string | null;
  /** Leave the refresh token out. */
  noRefreshToken?: boolean;
}

for (const dialect of DIALECTS) {
  describe(`OAuthFlow: what the provider granted (${dialect})`, () => {
    let fixture: EngineFixture;
    let flow: OAuthFlow;
    let grant: Grant = {};

    beforeAll(async () => {
      fixture = await createEngineFixture(dialect, {
        descriptor: { scopes: { required: ['read', 'write'], optional: ['admin'] } },
        provider: {
          tokenResponse(standard) {
            const body = { ...standard };
            if (grant.scope === null) delete body['scope'];
            else if (grant.scope !== undefined) body['scope'] = grant.scope;
            if (grant.noRefreshToken) delete body['refresh_token'];
            return body;
          },
        },
      });
      flow = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET });
    });
    afterAll(async () => {
      await fixture?.close();
    });
    beforeEach(async () => {
      grant = {};
      await fixture.handle.db.deleteFrom('connections').execute();
    });

    /** start (asking for `scopes`) → approve at the fake → complete, as the fixture's user. */
    async function connect(scopes?: string[]) {
      const started = await flow.startAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        redirectUri: REDIRECT_URI,
        ...(scopes && { scopes }),
      });
      const approval = await fixture.provider.approve(started.authorizationUrl);
      return flow.completeAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        code: approval.code,
        state: approval.state,
      });
    }

    it('everything granted: active, the granted scopes recorded', async () => {
      const result = await connect();
      expect(result).toMatchObject({ success: true, status: 'active', warnings: [] });
      expect(await connectionRow(fixture, result.connectionId)).toMatchObject({
        status: 'active',
        status_reason: null,
        scopes: ['read', 'write'],
      });
    });

    it('a required scope withheld: stored as error naming it, credentials kept for a clean disconnect', async () => {
      grant = { scope: 'read' };
      const result = await connect();
      expect(result).toMatchObject({ success: false, status: 'error' });
      expect(result.message).toContain('required scopes write');
      const row = await connectionRow(fixture, result.connectionId);
      expect(row).toMatchObject({ status: 'error', scopes: ['read'] });
      expect(row.status_reason).toBe(result.message);
      expect(await countRows(fixture.handle)).toEqual({ connections: 1, credentials: 1 });
      // No token in the reason or the answer.
      for (const token of fixture.provider.tokens) {
        expect(JSON.stringify(result)).not.toContain(token.value);
        expect(JSON.stringify(row)).not.toContain(token.value);
      }

      // Reconnecting with the full grant repairs the same connection.
      grant = {};
      const again = await connect();
      expect(again.connectionId).toBe(result.connectionId);
      expect(await connectionRow(fixture, result.connectionId)).toMatchObject({
        status: 'active',
        status_reason: null,
        scopes: ['read', 'write'],
      });
    });

    it('an optional scope withheld: active, with a warning in the answer and the status reason', async () => {
      grant = { scope: 'read write' };
      const result = await connect(['read', 'write', 'admin']);
      expect(result).toMatchObject({ success: true, status: 'active' });
      expect(result.warnings).toEqual([expect.stringContaining('optional scopes admin')]);
      expect(await connectionRow(fixture, result.connectionId)).toMatchObject({
        status: 'active',
        status_reason: result.warnings[0],
        scopes: ['read', 'write'],
      });
    });

    it('no `scope` in the answer: granted as requested', async () => {
      grant = { scope: null };
      const result = await connect(['read', 'write', 'admin']);
      expect(result.status).toBe('active');
      expect((await connectionRow(fixture, result.connectionId)).scopes).toEqual(['read', 'write', 'admin']);
    });

    it('offline_access asked for and no refresh token granted: error', async () => {
      grant = { noRefreshToken: true };
      const result = await connect(['read', 'write', 'offline_access']);
      expect(result).toMatchObject({ success: false, status: 'error' });
      expect(result.message).toBe(
        'The provider granted no refresh token; reconnect and allow offline access.',
      );
      expect((await credentialsRow(fixture, result.connectionId)).has_refresh_token).toBe(false);
    });

    it('no refresh token when none was asked for: active (refresh tokens are optional then)', async () => {
      grant = { noRefreshToken: true };
      expect((await connect()).status).toBe('active');
    });
  });

  describe(`OAuthFlow: RFC 9207 issuer check (${dialect})`, () => {
    const ISSUER = 'https://acme.example';
    let fixture: EngineFixture;
    let flow: OAuthFlow;
    let attacker: FakeOAuth2Provider;

    beforeAll(async () => {
      fixture = await createEngineFixture(dialect, {
        descriptor: { issuer: ISSUER },
        provider: { extraCallbackParams: { iss: ISSUER } },
      });
      flow = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET });
      // Another authorization server the user was lured to, answering with its own issuer.
      attacker = await startFakeOAuth2Provider({
        clientId: fixture.provider.clientId,
        extraCallbackParams: { iss: 'https://attacker.example' },
      });
    });
    afterAll(async () => {
      await attacker?.close();
      await fixture?.close();
    });

    const start = () =>
      flow.startAuthorization({ userId: fixture.userId, connectorKey: 'acme', redirectUri: REDIRECT_URI });
    const complete = (approval: { code: string; state: string; params: Record<string, string> }) =>
      flow.completeAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        code: approval.code,
        state: approval.state,
        callbackParams: approval.params,
      });

    it('a response naming another issuer is refused before any code exchange, and the state is spent', async () => {
      const before = await countRows(fixture.handle);
      const exchanges = fixture.provider.counts.token + attacker.counts.token;
      const started = await start();
      const mixedUp = await attacker.approve(started.authorizationUrl);
      expect(mixedUp.params['iss']).toBe('https://attacker.example');
      expect(await codeOf(complete(mixedUp))).toBe('CFM_OAUTH_ISSUER_MISMATCH');
      expect(fixture.provider.counts.token + attacker.counts.token).toBe(exchanges);
      expect(await countRows(fixture.handle)).toEqual(before);
      // The attempt is over: even the honest answer for that state is refused now.
      const honest = await fixture.provider.approve(started.authorizationUrl);
      expect(await codeOf(complete(honest))).toBe('CFM_OAUTH_STATE_USED');
      expect(fixture.provider.counts.token).toBe(exchanges);
    });

    it('the declared issuer, or no `iss` at all, is accepted', async () => {
      const approval = await fixture.provider.approve((await start()).authorizationUrl);
      expect(approval.params['iss']).toBe(ISSUER);
      expect((await complete(approval)).status).toBe('active');
      const { iss: _iss, ...withoutIss } = (await fixture.provider.approve((await start()).authorizationUrl))
        .params;
      const answer = await flow.completeAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        code: String(withoutIss['code']),
        state: String(withoutIss['state']),
        callbackParams: withoutIss,
      });
      expect(answer.status).toBe('active');
    });
  });

  describe(`OAuthFlow: pending authorizations are capped (${dialect})`, () => {
    let fixture: EngineFixture;
    let flow: OAuthFlow;

    beforeAll(async () => {
      fixture = await createEngineFixture(dialect);
      flow = new OAuthFlow(fixture.context, { stateSecret: STATE_SECRET });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    const start = (userId = fixture.userId, connectorKey = 'acme') =>
      flow.startAuthorization({ userId, connectorKey, redirectUri: REDIRECT_URI });
    const unused = async (userId: string, connectorId: string) =>
      (
        await fixture.handle.db
          .selectFrom('oauth_states')
          .select('id')
          .where('user_id', '=', userId)
          .where('connector_id', '=', connectorId)
          .where('consumed_at', 'is', null)
          .execute()
      ).length;

    it('50 starts in a row keep the newest 20; the oldest is gone, the newest works', async () => {
      const other = await start(fixture.otherUserId);
      const globex = await start(fixture.userId, 'globex');
      const started = [];
      for (let index = 0; index < 50; index += 1) started.push(await start());
      expect(await unused(fixture.userId, fixture.connector.id)).toBe(MAX_PENDING_AUTHORIZATIONS);
      // Other users and other connectors keep theirs.
      expect(await unused(fixture.otherUserId, fixture.connector.id)).toBe(1);
      expect(await unused(fixture.userId, fixture.otherConnector.id)).toBe(1);
      expect(other.state).not.toBe(globex.state);

      const oldest = await fixture.provider.approve(started[0]!.authorizationUrl);
      expect(
        await codeOf(
          flow.completeAuthorization({
            userId: fixture.userId,
            connectorKey: 'acme',
            code: oldest.code,
            state: oldest.state,
          }),
        ),
      ).toBe('CFM_OAUTH_STATE_INVALID');
      const newest = await fixture.provider.approve(started[49]!.authorizationUrl);
      const result = await flow.completeAuthorization({
        userId: fixture.userId,
        connectorKey: 'acme',
        code: newest.code,
        state: newest.state,
      });
      expect(result.status).toBe('active');
      // A used state is not "pending": it does not count towards the cap (it is cleaned up later).
      expect(await unused(fixture.userId, fixture.connector.id)).toBe(MAX_PENDING_AUTHORIZATIONS - 1);
    });

    it('50 concurrent starts still leave at most the cap', async () => {
      await Promise.all(Array.from({ length: 50 }, () => start(fixture.otherUserId)));
      expect(await unused(fixture.otherUserId, fixture.connector.id)).toBeLessThanOrEqual(
        MAX_PENDING_AUTHORIZATIONS,
      );
    });
  });
}
