import { randomUUID } from 'node:crypto';
import { createOAuth2Client, createOriginRewriter, createPkcePair } from '@cfm/connector-sdk';
import {
  connectorErrorOf,
  connectThroughFake,
  contextFor,
  describeConformance,
  lastRequestTo,
} from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datadogConnector } from './index.js';
import { type FakeDatadog, startFakeDatadog } from './testing/index.js';

const client = { clientId: 'datadog-client-id', clientSecret: 'datadog-client-secret' };
const redirectUri = 'http://127.0.0.1:3000/oauth/callback';

describeConformance({
  connector: datadogConnector,
  client,
  config: { site: 'datadoghq.com' },
  sampleLimit: 4,
  startProvider: () => startFakeDatadog(client),
  expect: { rotatesRefreshTokens: true, hasRevoke: true, pkce: true, requiredScopes: [] },
  apiProbe: { path: 'api/v1/validate' },
  actions: {
    list_monitors: {
      input: { limit: 2, tags: ['env:prod'] },
      check: (output) => {
        const { monitors, next_cursor } = output as { monitors: { tags: string[] }[]; next_cursor?: string };
        expect(monitors).toHaveLength(2);
        for (const monitor of monitors) expect(monitor.tags).toContain('env:prod');
        expect(next_cursor).toBeTypeOf('string');
      },
    },
    query_metrics: {
      input: { query: 'avg:system.load.1{*} by {host}', from: 1_735_689_600, to: 1_735_689_900 },
      check: (output) => expect((output as { series: unknown[] }).series).toHaveLength(2),
    },
  },
});

// Where each site's consent page and token endpoint live, as Datadog documents them.
const HOSTS = [
  ['datadoghq.com', 'https://app.datadoghq.com', 'https://api.datadoghq.com'],
  ['us3.datadoghq.com', 'https://us3.datadoghq.com', 'https://api.us3.datadoghq.com'],
  ['us5.datadoghq.com', 'https://us5.datadoghq.com', 'https://api.us5.datadoghq.com'],
  ['datadoghq.eu', 'https://app.datadoghq.eu', 'https://api.datadoghq.eu'],
  ['ap1.datadoghq.com', 'https://ap1.datadoghq.com', 'https://api.ap1.datadoghq.com'],
  ['ddog-gov.com', 'https://app.ddog-gov.com', 'https://api.ddog-gov.com'],
] as const;

describe('datadog OAuth 2 against the fake Datadog', () => {
  let fake: FakeDatadog;
  /** Real URLs the connector targeted (descriptor URLs and hook requests), before they went to the fake. */
  const called: string[] = [];
  let rewriteUrl: (url: string) => string;
  const oauth = (site: string, secret = client.clientSecret) =>
    createOAuth2Client(datadogConnector, {
      client: { ...client, clientSecret: secret },
      config: { site },
      rewriteUrl,
    });

  beforeAll(async () => {
    fake = await startFakeDatadog(client);
    const rewrite = createOriginRewriter(fake.rewrite);
    rewriteUrl = (url) => {
      // The HTTP client rewrites descriptor URLs a second time: keep only the real ones.
      if (!url.startsWith(fake.url)) called.push(url);
      return rewrite(url);
    };
  });
  afterAll(async () => {
    await fake?.close();
  });

  async function approve(site: string) {
    const pkce = createPkcePair();
    const url = oauth(site).buildAuthorizeUrl({
      redirectUri,
      state: randomUUID(),
      codeChallenge: pkce.challenge,
    });
    const approval = await fake.approve(url);
    return { code: approval.code, verifier: pkce.verifier, params: approval.params };
  }

  /** The whole flow at `site`, handing the exchange `callbackParams` as if the callback had carried them. */
  const connect = (site: string, callbackParams: Record<string, string>, secret = client.clientSecret) =>
    connectThroughFake(datadogConnector, fake, {
      client: { ...client, clientSecret: secret },
      config: { site },
      redirectUri,
      rewrite: rewriteUrl,
      callbackParams,
    });

  function lastCalled(path: string): string | undefined {
    return called.filter((url) => new URL(url).pathname === path).at(-1);
  }

  it.each(HOSTS)('site %s: consent at %s, tokens at %s', async (site, appOrigin, apiOrigin) => {
    const plain = createOAuth2Client(datadogConnector, { client, config: { site } });
    const url = new URL(
      plain.buildAuthorizeUrl({ redirectUri, state: 's', codeChallenge: createPkcePair().challenge }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${appOrigin}/oauth2/v1/authorize`);
    expect(url.searchParams.has('scope')).toBe(false);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(plain.descriptor.tokenUrl).toBe(`${apiOrigin}/oauth2/v1/token`);
    expect(plain.descriptor.revokeUrl).toBe(`${apiOrigin}/oauth2/v1/revoke`);

    const tokens = await connect(site, { domain: site });
    expect(lastCalled('/oauth2/v1/token')).toBe(`${apiOrigin}/oauth2/v1/token`);
    expect(tokens.metadata?.['site']).toBe(site);
    expect(tokens.credentials.extra?.['site']).toBe(site);
  });

  it('exchanges, refreshes, revokes and checks at the site the callback `domain` names', async () => {
    const { code, verifier, params } = await approve('datadoghq.com');
    expect(params['domain']).toBe('datadoghq.com');
    const tokens = await oauth('datadoghq.com').exchangeCode({
      code,
      redirectUri,
      codeVerifier: verifier,
      callbackParams: { domain: 'datadoghq.eu' },
    });
    expect(lastCalled('/oauth2/v1/token')).toBe('https://api.datadoghq.eu/oauth2/v1/token');
    expect(tokens.metadata?.['site']).toBe('datadoghq.eu');

    // The connection's config still says US1; the tokens belong to EU1.
    const refreshed = await oauth('datadoghq.com').refresh({ credentials: tokens.credentials });
    expect(lastCalled('/oauth2/v1/token')).toBe('https://api.datadoghq.eu/oauth2/v1/token');
    const result = await datadogConnector.check(
      contextFor(datadogConnector, {
        config: { site: 'datadoghq.com' },
        credentials: refreshed.credentials,
        rewrite: rewriteUrl,
      }),
    );
    expect(lastCalled('/api/v1/validate')).toBe('https://api.datadoghq.eu/api/v1/validate');
    expect(result.metadata?.['site']).toBe('datadoghq.eu');
    await oauth('datadoghq.com').revoke({ credentials: refreshed.credentials });
    expect(lastCalled('/oauth2/v1/revoke')).toBe('https://api.datadoghq.eu/oauth2/v1/revoke');
  });

  it('accepts the older `site` callback parameter, as a site URL', async () => {
    const tokens = await connect('datadoghq.com', { site: 'https://us5.datadoghq.com' });
    expect(lastCalled('/oauth2/v1/token')).toBe('https://api.us5.datadoghq.com/oauth2/v1/token');
    expect(tokens.metadata?.['site']).toBe('us5.datadoghq.com');
  });

  it('refuses a callback naming an unknown site without sending the code anywhere', async () => {
    const before = fake.counts.token;
    const error = await connectorErrorOf(connect('datadoghq.com', { domain: 'attacker.example' }));
    expect(error.reason).toBe('config');
    expect(fake.counts.token).toBe(before);
  });

  it('requires PKCE: no challenge is refused at authorize, no verifier at the token endpoint', async () => {
    const url = new URL(
      oauth('datadoghq.com').buildAuthorizeUrl({
        redirectUri,
        state: 's',
        codeChallenge: createPkcePair().challenge,
      }),
    );
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    await expect(fake.approve(url.toString())).rejects.toThrow();

    const { code } = await approve('datadoghq.com');
    const error = await connectorErrorOf(
      oauth('datadoghq.com').exchangeCode({ code, redirectUri, callbackParams: { domain: 'datadoghq.com' } }),
    );
    expect(error.reason).toBe('auth');
    expect(error.providerCode).toBe('invalid_grant');
  });

  it('sends client credentials in the form body, and a wrong secret gets 401', async () => {
    await connect('datadoghq.com', {});
    const request = lastRequestTo(fake, '/oauth2/v1/token');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.headers['authorization']).toBeUndefined();
    expect(Object.keys(request.body as object).sort()).toEqual(
      ['client_id', 'client_secret', 'code', 'code_verifier', 'grant_type', 'redirect_uri'].sort(),
    );

    const error = await connectorErrorOf(connect('datadoghq.com', {}, 'wrong-secret'));
    expect(error.status).toBe(401);
    expect(error.providerCode).toBe('invalid_client');
  });

  it('rotates the refresh token on every refresh; the old one is then refused', async () => {
    const tokens = await connect('datadoghq.com', {});
    const refreshed = await oauth('datadoghq.com').refresh({ credentials: tokens.credentials });
    expect(refreshed.credentials.refreshToken).toBeTypeOf('string');
    expect(refreshed.credentials.refreshToken).not.toBe(tokens.credentials.refreshToken);
    expect(refreshed.credentials.accessToken).not.toBe(tokens.credentials.accessToken);
    expect(refreshed.credentials.extra?.['site']).toBe('datadoghq.com');
    const error = await connectorErrorOf(oauth('datadoghq.com').refresh({ credentials: tokens.credentials }));
    expect(error.reason).toBe('auth');
  });

  it('revokes with exactly client_id, client_secret and token in a form body', async () => {
    const tokens = await connect('datadoghq.com', {});
    await oauth('datadoghq.com').revoke({ credentials: tokens.credentials });
    const request = lastRequestTo(fake, '/oauth2/v1/revoke');
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const body = request.body as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['client_id', 'client_secret', 'token']);
    expect(body['client_id']).toBe(client.clientId);
    expect(body['token']).toBe(tokens.credentials.refreshToken);
    const refused = await connectorErrorOf(
      oauth('datadoghq.com').refresh({ credentials: tokens.credentials }),
    );
    expect(refused.reason).toBe('auth');
  });
});
