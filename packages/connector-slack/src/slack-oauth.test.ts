import type { OAuth2Credentials } from '@cfm/connector-sdk';
import { connectorErrorOf, fakeFlow, lastRequestTo, rejectionOf } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connector from './index.js';
import type { SlackUserTokenExtra } from './slack-token-response.js';
import { client, redirectUri, slackFlow } from './test/slack-flow.js';
import { type FakeSlack, startFakeSlack } from './testing/index.js';

function userTokenOf(credentials: OAuth2Credentials): SlackUserTokenExtra | undefined {
  return credentials.extra?.['userToken'] as SlackUserTokenExtra | undefined;
}

describe('slack OAuth v2 without token rotation', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack({ rotation: false, clientAuth: 'basic' });
  });
  afterAll(() => fake.close());

  it('asks for comma-separated bot scopes and config user scopes, without PKCE', () => {
    const url = slackFlow(fake, { userScopes: 'search:read,users:read' }).authorizeUrl();
    expect(url.origin + url.pathname).toBe(`${fake.url}/oauth/v2/authorize`);
    expect(url.searchParams.get('scope')).toBe('channels:read,users:read,team:read');
    expect(url.searchParams.get('user_scope')).toBe('search:read,users:read');
    expect(url.searchParams.get('code_challenge')).toBeNull();
  });

  it('sends the client by HTTP Basic in a form body', async () => {
    await slackFlow(fake).connect();
    const request = lastRequestTo(fake, '/api/oauth.v2.access');
    expect(request.headers['authorization']).toBe('Basic [redacted]');
    expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(request.body).not.toHaveProperty('client_secret');
  });

  it('treats an HTTP 200 {ok:false} exchange as an auth error, not a success', async () => {
    const code = 'code_not-issued-by-slack-123';
    const flow = slackFlow(fake);
    const error = await connectorErrorOf(flow.oauth.exchangeCode({ code, redirectUri, callbackParams: {} }));
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_code', status: 200 });
    expect(error.message).not.toContain(code);
  });

  it('maps bad_client_secret (HTTP 200) to reason auth', async () => {
    const flow = slackFlow(fake);
    const approval = await fake.approve(flow.authorizeUrl().toString());
    const wrong = fakeFlow(connector, fake, { client: { ...client, clientSecret: 'not-the-secret' } });
    const error = await connectorErrorOf(
      wrong.oauth.exchangeCode({ code: approval.code, redirectUri, callbackParams: {} }),
    );
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'bad_client_secret' });
    expect(error.message).not.toContain('not-the-secret');
  });

  it('keeps a bot token that never expires, with workspace facts as metadata', async () => {
    const tokens = await slackFlow(fake).connect();
    expect(tokens.credentials.accessToken).toMatch(/^xoxb-/);
    expect(tokens.credentials.tokenType).toBe('bot');
    expect(tokens.credentials.refreshToken).toBeUndefined();
    expect(tokens.credentials.expiresAt).toBeNull();
    expect(tokens.credentials.scopes).toEqual(['channels:read', 'users:read', 'team:read']);
    expect(tokens.metadata).toEqual({
      tokenType: 'bot',
      appId: fake.appId,
      teamId: fake.team.id,
      teamName: fake.team.name,
      isEnterpriseInstall: false,
      botUserId: fake.botUserId,
      authedUserId: fake.authedUserId,
    });
  });

  it('refuses to refresh without rotation, without calling Slack', async () => {
    const { oauth, connect } = slackFlow(fake);
    const tokens = await connect();
    const before = fake.counts.refresh;
    const error = await rejectionOf(oauth.refresh({ credentials: tokens.credentials }));
    expect(error).toMatchObject({ reason: 'auth' });
    expect(fake.counts.refresh).toBe(before);
  });

  it('uses the authed_user token when the grant has no bot scopes', async () => {
    const flow = slackFlow(fake, { userScopes: 'channels:read,users:read', userTokenOnly: true });
    const url = flow.authorizeUrl();
    expect(url.searchParams.has('scope')).toBe(false);
    expect(url.searchParams.get('user_scope')).toBe('channels:read,users:read');
    const tokens = await flow.connect();
    expect(fake.userTokenFamilies.size).toBeGreaterThan(0);
    expect(tokens.credentials.tokenType).toBe('user');
    expect(tokens.credentials.scopes).toEqual(['channels:read', 'users:read']);
    expect(userTokenOf(tokens.credentials)).toBeUndefined();
    expect(tokens.metadata).toMatchObject({ tokenType: 'user', authedUserId: fake.authedUserId });
    expect(tokens.metadata).not.toHaveProperty('botUserId');
    const result = await connector.check(flow.context(tokens));
    expect(result.identity.accountId).toBe(fake.authedUserId);
    expect(result.metadata).not.toHaveProperty('botId');
  });

  it('refuses userTokenOnly without user scopes', () => {
    expect(() => slackFlow(fake, { userTokenOnly: true }).authorizeUrl()).toThrow(/user scope/);
  });

  it('keeps the bot token as the connection token and the user token in extra', async () => {
    const flow = slackFlow(fake, { userScopes: 'search:read' });
    const tokens = await flow.connect();
    const user = userTokenOf(tokens.credentials);
    expect(tokens.credentials.tokenType).toBe('bot');
    expect(user?.accessToken).toBeTypeOf('string');
    expect(user?.accessToken).not.toBe(tokens.credentials.accessToken);
    expect(user?.scopes).toEqual(['search:read']);
    const metadata = JSON.stringify(tokens.metadata);
    expect(metadata).not.toContain(tokens.credentials.accessToken);
    expect(metadata).not.toContain(user?.accessToken);
    const result = await connector.check(flow.context(tokens));
    expect(result.identity.accountId).toBe(fake.botUserId);
  });

  it('revokes the bot and the user token with auth.revoke (Bearer)', async () => {
    const flow = slackFlow(fake, { userScopes: 'search:read' });
    const tokens = await flow.connect();
    const before = fake.counts.revoke;
    await flow.oauth.revoke({ credentials: tokens.credentials });
    expect(fake.counts.revoke).toBe(before + 2);
    expect(lastRequestTo(fake, '/api/auth.revoke').headers['authorization']).toBe('Bearer [redacted]');
    const revoked = fake.tokens.filter((token) => token.state === 'revoked').map((token) => token.value);
    expect(revoked).toContain(tokens.credentials.accessToken);
    expect(revoked).toContain(userTokenOf(tokens.credentials)?.accessToken);
  });

  it('reports an {ok:false} revoke as an error', async () => {
    const flow = slackFlow(fake);
    const tokens = await flow.connect();
    fake.revokeToken(tokens.credentials.accessToken);
    const error = await rejectionOf(flow.oauth.revoke({ credentials: tokens.credentials }));
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'token_revoked' });
  });
});

describe('slack OAuth v2 with token rotation', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack({ rotation: true });
  });
  afterAll(() => fake.close());

  it('stores the xoxe refresh token and a 12-hour expiry', async () => {
    const tokens = await slackFlow(fake).connect();
    expect(tokens.credentials.refreshToken).toMatch(/^xoxe-/);
    const expiresIn = Date.parse(tokens.credentials.expiresAt ?? '') - Date.now();
    expect(expiresIn).toBeGreaterThan(43_000_000);
    expect(expiresIn).toBeLessThanOrEqual(43_200_000);
  });

  it('refreshes with grant_type=refresh_token and rotates', async () => {
    const { oauth, connect } = slackFlow(fake);
    const tokens = await connect();
    const refreshed = await oauth.refresh({ credentials: tokens.credentials });
    const request = lastRequestTo(fake, '/api/oauth.v2.access');
    expect(request.body).toMatchObject({ grant_type: 'refresh_token' });
    expect(refreshed.credentials.accessToken).not.toBe(tokens.credentials.accessToken);
    expect(refreshed.credentials.refreshToken).not.toBe(tokens.credentials.refreshToken);
    expect(refreshed.metadata).toMatchObject({ tokenType: 'bot', teamId: fake.team.id });
    const error = await rejectionOf(oauth.refresh({ credentials: tokens.credentials }));
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_refresh_token' });
  });

  it('rotates the user token of a bot + user grant too', async () => {
    const { oauth, connect } = slackFlow(fake, { userScopes: 'search:read' });
    const tokens = await connect();
    const user = userTokenOf(tokens.credentials);
    expect(user?.refreshToken).toMatch(/^xoxe-/);
    const before = fake.counts.refresh;
    const refreshed = await oauth.refresh({ credentials: tokens.credentials });
    expect(fake.counts.refresh).toBe(before + 2);
    const renewed = userTokenOf(refreshed.credentials);
    expect(renewed?.accessToken).not.toBe(user?.accessToken);
    expect(renewed?.refreshToken).not.toBe(user?.refreshToken);
    expect(renewed?.scopes).toEqual(['search:read']);
    expect(refreshed.credentials.accessToken).not.toBe(renewed?.accessToken);
  });
});
