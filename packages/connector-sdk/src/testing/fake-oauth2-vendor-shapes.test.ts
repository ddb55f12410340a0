import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOAuth2Provider } from './fake-oauth2-provider.js';
import type { FakeOAuth2Provider } from './fake-oauth2-types.js';
import { authorizeUrl, getWithToken, post, REDIRECT_URI } from './test/http-helpers.js';

describe('fake OAuth 2 provider, Slack shape', () => {
  let provider: FakeOAuth2Provider;
  beforeAll(async () => {
    provider = await startFakeOAuth2Provider({
      errorShape: 'slack',
      scopeSeparator: ',',
      autoApprove: true,
      pkce: 'off',
      paths: { authorize: '/oauth/v2/authorize', token: '/api/oauth.v2.access', revoke: '/api/auth.revoke' },
      revokeAuth: 'bearer',
      tokenResponse: (body) => ({
        ...body,
        token_type: 'bot',
        team: { id: 'T1', name: 'Acme' },
        authed_user: { id: 'U1' },
      }),
      routes: {
        'POST /api/auth.test': (_request, helpers) => {
          helpers.requireToken();
          return { status: 200, body: { ok: true, team_id: 'T1', user_id: 'U1' } };
        },
      },
    });
  });
  afterAll(() => provider.close());
  const basic = (): [string, string] => [provider.clientId, provider.clientSecret];

  it('exchanges, refreshes and revokes, answering every failure with HTTP 200 ok:false', async () => {
    const approval = await provider.approve(authorizeUrl(provider, { scope: 'channels:read,users:read' }));
    const badSecret = await post(
      provider.tokenUrl,
      { code: approval.code, redirect_uri: REDIRECT_URI },
      {
        basic: [provider.clientId, 'wrong'],
      },
    );
    expect(badSecret).toMatchObject({ status: 200, body: { ok: false, error: 'bad_client_secret' } });
    const wrongRedirect = await post(
      provider.tokenUrl,
      { code: approval.code, redirect_uri: 'http://x.test/cb' },
      {
        basic: basic(),
      },
    );
    expect(wrongRedirect).toMatchObject({ status: 200, body: { ok: false, error: 'bad_redirect_uri' } });

    const second = await provider.approve(authorizeUrl(provider, { scope: 'channels:read,users:read' }));
    const exchanged = await post(
      provider.tokenUrl,
      { code: second.code, redirect_uri: REDIRECT_URI },
      { basic: basic() },
    );
    expect(exchanged).toMatchObject({
      status: 200,
      body: { ok: true, token_type: 'bot', scope: 'channels:read,users:read', team: { id: 'T1' } },
    });
    expect(exchanged.body['access_token']).toMatch(/^xoxb-/);
    const replay = await post(
      provider.tokenUrl,
      { code: second.code, redirect_uri: REDIRECT_URI },
      { basic: basic() },
    );
    expect(replay).toMatchObject({ status: 200, body: { ok: false, error: 'invalid_code' } });
    const wrongGrant = await post(provider.tokenUrl, { grant_type: 'password' }, { basic: basic() });
    expect(wrongGrant.body).toEqual({ ok: false, error: 'invalid_grant_type' });

    const fresh = provider.issueTokensDirectly();
    const refreshed = await post(
      provider.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: fresh.refreshToken ?? '' },
      { basic: basic() },
    );
    expect(refreshed.body).toMatchObject({ ok: true });
    const token = refreshed.body['access_token'] as string;
    expect((await post(`${provider.url}/api/auth.test`, {}, { bearer: token })).body).toMatchObject({
      ok: true,
    });
    const revoked = await post(provider.revokeUrl ?? '', {}, { bearer: token });
    expect(revoked).toMatchObject({ status: 200, body: { ok: true, revoked: true } });
    const after = await post(`${provider.url}/api/auth.test`, {}, { bearer: token });
    expect(after).toMatchObject({ status: 200, body: { ok: false, error: 'token_revoked' } });
  });
});

describe('fake OAuth 2 provider, Atlassian and Figma shapes', () => {
  let atlassian: FakeOAuth2Provider;
  let figma: FakeOAuth2Provider;
  beforeAll(async () => {
    atlassian = await startFakeOAuth2Provider({
      errorShape: 'atlassian',
      tokenRequestFormat: 'json',
      clientAuth: 'body',
      paths: { revoke: null },
      routes: {
        'GET /ex/jira/:cloudId/rest/api/3/myself': (request, helpers) => {
          helpers.requireToken();
          return { status: 200, body: { accountId: `account-of-${request.params['cloudId']}` } };
        },
      },
    });
    figma = await startFakeOAuth2Provider({
      clientAuth: 'basic',
      paths: { refresh: '/v1/oauth/refresh' },
      refreshResponseIncludesRefreshToken: false,
      denyMode: 'none',
    });
  });
  afterAll(async () => {
    await atlassian.close();
    await figma.close();
  });

  it('answers a replayed rotated refresh token with 403 invalid_grant and kills the grant', async () => {
    const pair = atlassian.issueTokensDirectly();
    const client = { client_id: atlassian.clientId, client_secret: atlassian.clientSecret };
    const refresh = { ...client, grant_type: 'refresh_token', refresh_token: pair.refreshToken ?? '' };
    const first = await post(atlassian.tokenUrl, refresh, { json: true });
    expect(first.status).toBe(200);
    const replay = await post(atlassian.tokenUrl, refresh, { json: true });
    expect(replay.status).toBe(403);
    expect(replay.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Unknown or invalid refresh token.',
    });
    const rotated = { ...refresh, refresh_token: first.body['refresh_token'] as string };
    expect((await post(atlassian.tokenUrl, rotated, { json: true })).status).toBe(403);
    expect(atlassian.tokens.filter((token) => token.family === atlassian.tokens.at(-1)?.family)).toSatisfy(
      (tokens: { state: string }[]) =>
        tokens.every((token) => token.state === 'revoked' || token.state === 'rotated'),
    );
  });

  it('serves custom routes with path parameters behind the bearer check, and has no revoke endpoint', async () => {
    const pair = atlassian.issueTokensDirectly();
    const myself = await getWithToken(`${atlassian.url}/ex/jira/cloud-1/rest/api/3/myself`, pair.accessToken);
    expect(myself).toMatchObject({ status: 200, body: { accountId: 'account-of-cloud-1' } });
    const anonymous = await fetch(`${atlassian.url}/ex/jira/cloud-1/rest/api/3/myself`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ code: 401, message: 'Unauthorized' });
    expect(atlassian.revokeUrl).toBeNull();
    expect((await post(`${atlassian.url}/oauth/revoke`, { token: pair.accessToken })).status).toBe(404);
  });

  it('refreshes on the legacy path without returning a refresh token, and never calls back on deny', async () => {
    const pair = figma.issueTokensDirectly();
    const refreshed = await post(
      figma.refreshUrl,
      { refresh_token: pair.refreshToken ?? '' },
      {
        basic: [figma.clientId, figma.clientSecret],
      },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body['refresh_token']).toBeUndefined();
    const again = await post(
      figma.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: pair.refreshToken ?? '' },
      {
        basic: [figma.clientId, figma.clientSecret],
      },
    );
    expect(again.status).toBe(200);
    expect(await figma.deny(authorizeUrl(figma))).toEqual({ callbackUrl: null, error: null, state: null });
  });
});
