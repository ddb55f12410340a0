import { createOAuth2Client, createOriginRewriter } from '@cfm/connector-sdk';
import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProbe } from './test/fake-probe.js';
import { PROBE_SCOPES, probeConnector } from './test/probe-connector.js';
import type { FakeAtlassian } from './testing/index.js';

const REDIRECT_URI = 'http://127.0.0.1:5173/oauth/callback';

describe('Atlassian OAuth 2.0 (3LO) against the fake Atlassian', () => {
  let fake: FakeAtlassian;

  beforeAll(async () => {
    fake = await startFakeProbe();
  });
  afterAll(async () => {
    await fake.close();
  });

  function oauthClient() {
    return createOAuth2Client(probeConnector, {
      client: { clientId: fake.clientId, clientSecret: fake.clientSecret },
      config: {},
      rewriteUrl: createOriginRewriter(fake.rewrite),
    });
  }

  it('builds the documented authorize URL: audience, prompt=consent, offline_access, no PKCE', () => {
    const client = createOAuth2Client(probeConnector, {
      client: { clientId: 'app-1', clientSecret: 's' },
      config: {},
    });
    const url = new URL(client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-1' }));
    expect(`${url.origin}${url.pathname}`).toBe('https://auth.atlassian.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      audience: 'api.atlassian.com',
      client_id: 'app-1',
      scope: 'read:probe-work read:probe-user offline_access',
      redirect_uri: REDIRECT_URI,
      state: 'state-1',
      response_type: 'code',
      prompt: 'consent',
    });
    expect(url.searchParams.has('code_challenge')).toBe(false);
    // A deployment narrowing the scopes still gets a refresh token.
    const narrowed = new URL(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's', scopes: PROBE_SCOPES }),
    );
    expect(narrowed.searchParams.get('scope')).toBe('read:probe-work read:probe-user offline_access');
    expect(client.canRevoke).toBe(false);
    expect(client.descriptor.revokeUrl).toBeUndefined();
  });

  it('exchanges a code with a JSON body carrying the client secret, then rotates refresh tokens', async () => {
    const client = oauthClient();
    const { code } = await fake.approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-2' }),
    );
    const first = await client.exchangeCode({ code, redirectUri: REDIRECT_URI, callbackParams: {} });
    const exchange = lastRequestTo(fake, '/oauth/token');
    expect(exchange.headers['content-type']).toMatch(/^application\/json/);
    expect(exchange.headers['authorization']).toBeUndefined();
    // The fake only accepts the client secret in the body (it records it redacted).
    expect(exchange.body).toMatchObject({ grant_type: 'authorization_code', client_id: fake.clientId });
    expect(exchange.body).toHaveProperty('client_secret');
    expect(first.credentials.refreshToken).toBeTruthy();

    const second = await client.refresh({ credentials: first.credentials });
    expect(second.credentials.refreshToken).toBeTruthy();
    expect(second.credentials.refreshToken).not.toBe(first.credentials.refreshToken);
    expect(second.credentials.accessToken).not.toBe(first.credentials.accessToken);
    const refresh = lastRequestTo(fake, '/oauth/token');
    expect(refresh.body).toMatchObject({ grant_type: 'refresh_token', client_id: fake.clientId });

    // The old refresh token died with the rotation: replaying it is Atlassian's 403 invalid_grant.
    const replay = await connectorErrorOf(client.refresh({ credentials: first.credentials }));
    expect(replay).toMatchObject({
      reason: 'auth',
      status: 403,
      providerCode: 'invalid_grant',
      retryable: false,
    });
    expect(replay.message).not.toContain(first.credentials.refreshToken);
  });
});
