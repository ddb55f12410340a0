import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOAuth2Provider } from './fake-oauth2-provider.js';
import type { FakeOAuth2Provider } from './fake-oauth2-types.js';
import { authorizeUrl, getWithToken, pkcePair, post, REDIRECT_URI } from './test/http-helpers.js';

describe('fake OAuth 2 provider, RFC 6749 shape', () => {
  let provider: FakeOAuth2Provider;
  beforeAll(async () => {
    provider = await startFakeOAuth2Provider({
      clientAuth: 'basic',
      tokenRequestFormat: 'form',
      pkce: 'required',
    });
  });
  afterAll(() => provider.close());
  const basic = (): [string, string] => [provider.clientId, provider.clientSecret];

  it('runs authorize → approve → token → refresh → revoke over HTTP', async () => {
    const { verifier, challenge } = pkcePair();
    const url = authorizeUrl(provider, { code_challenge: challenge, code_challenge_method: 'S256' });
    const approval = await provider.approve(url);
    expect(approval.state).toBe('state-123');
    expect(approval.callbackUrl.startsWith(`${REDIRECT_URI}?`)).toBe(true);

    const exchanged = await post(
      provider.tokenUrl,
      {
        grant_type: 'authorization_code',
        code: approval.code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      },
      { basic: basic() },
    );
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    const accessToken = exchanged.body['access_token'] as string;
    const refreshToken = exchanged.body['refresh_token'] as string;
    expect((await getWithToken(provider.userinfoUrl, accessToken)).body).toMatchObject({ id: 'fake-user-1' });

    const refreshed = await post(
      provider.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      { basic: basic() },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body['refresh_token']).not.toBe(refreshToken);
    const newAccess = refreshed.body['access_token'] as string;

    const revoked = await post(provider.revokeUrl ?? '', { token: newAccess }, { basic: basic() });
    expect(revoked.status).toBe(200);
    const after = await getWithToken(provider.userinfoUrl, newAccess);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: 'invalid_token' });
    expect(provider.counts).toMatchObject({ authorize: 1, token: 1, refresh: 1, revoke: 1, userinfo: 2 });
  });

  it('serves a consent page whose Allow and Deny forms work without JavaScript', async () => {
    const { challenge } = pkcePair();
    const url = authorizeUrl(provider, { code_challenge: challenge, code_challenge_method: 'S256' });
    const page = await fetch(url);
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toMatch(/<form method="post" action="\/oauth\/authorize">[\s\S]*id="allow"/);
    expect(html).toMatch(/<form method="post" action="\/oauth\/authorize">[\s\S]*id="deny"/);
    expect(html).not.toContain('<script');
    const denial = await provider.deny(url);
    expect(denial).toMatchObject({ error: 'access_denied', state: 'state-123' });
  });

  it('refuses a missing PKCE challenge at authorize and a wrong verifier at the token endpoint', async () => {
    await expect(provider.approve(authorizeUrl(provider))).rejects.toThrow(/invalid_request/);
    const { challenge } = pkcePair();
    const approval = await provider.approve(
      authorizeUrl(provider, { code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const answer = await post(
      provider.tokenUrl,
      {
        grant_type: 'authorization_code',
        code: approval.code,
        redirect_uri: REDIRECT_URI,
        code_verifier: 'wrong',
      },
      { basic: basic() },
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_grant' });
  });

  it('rejects a replayed code and revokes the tokens the first use produced', async () => {
    const { verifier, challenge } = pkcePair();
    const approval = await provider.approve(
      authorizeUrl(provider, { code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    const fields = {
      grant_type: 'authorization_code',
      code: approval.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    const first = await post(provider.tokenUrl, fields, { basic: basic() });
    expect(first.status).toBe(200);
    const replay = await post(provider.tokenUrl, fields, { basic: basic() });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });
    expect((await getWithToken(provider.userinfoUrl, first.body['access_token'] as string)).status).toBe(401);
  });

  it('answers invalid_client 401 for a wrong secret, client auth in the body, or a JSON body', async () => {
    const wrongSecret = await post(
      provider.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      {
        basic: [provider.clientId, 'nope'],
      },
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toMatchObject({ error: 'invalid_client' });
    const inBody = await post(provider.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: provider.clientId,
      client_secret: provider.clientSecret,
    });
    expect(inBody.status).toBe(401);
    const logged = provider.requests.at(-1);
    expect(logged?.body).toMatchObject({ client_id: provider.clientId, client_secret: '[redacted]' });
    const json = await post(
      provider.tokenUrl,
      { grant_type: 'refresh_token' },
      { json: true, basic: basic() },
    );
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ error: 'invalid_request' });
  });

  it('expires access tokens on demand', async () => {
    const pair = provider.issueTokensDirectly({ scopes: ['read'] });
    expect((await getWithToken(provider.userinfoUrl, pair.accessToken)).status).toBe(200);
    provider.expireAccessTokens();
    const expired = await getWithToken(provider.userinfoUrl, pair.accessToken);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('injects 429s and 5xx for the next requests only, and never logs the authorization header', async () => {
    const pair = provider.issueTokensDirectly();
    provider.rateLimitNext(2, { 'Retry-After': '7' });
    const first = await getWithToken(provider.userinfoUrl, pair.accessToken);
    const second = await post(provider.tokenUrl, { grant_type: 'refresh_token' }, { basic: basic() });
    expect([first.status, second.status]).toEqual([429, 429]);
    expect(first.headers.get('retry-after')).toBe('7');
    provider.failNext(1, 502, { message: 'bad gateway' });
    expect((await getWithToken(provider.userinfoUrl, pair.accessToken)).status).toBe(502);
    expect((await getWithToken(provider.userinfoUrl, pair.accessToken)).status).toBe(200);
    const logged = JSON.stringify(provider.requests.map((request) => request.headers));
    expect(logged).not.toContain(pair.accessToken);
    expect(logged).toContain('Bearer [redacted]');
  });

  it("answers injected 429s with the provider's own body when rateLimitedBody is given", async () => {
    const notionLike = await startFakeOAuth2Provider({
      rateLimitedBody: { object: 'error', status: 429, code: 'rate_limited', message: 'Slow down.' },
    });
    try {
      const pair = notionLike.issueTokensDirectly();
      notionLike.rateLimitNext(1, { 'Retry-After': '3' });
      const limited = await getWithToken(notionLike.userinfoUrl, pair.accessToken);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('3');
      expect(limited.body).toEqual({
        object: 'error',
        status: 429,
        code: 'rate_limited',
        message: 'Slow down.',
      });
    } finally {
      await notionLike.close();
    }
  });
});
