import { randomUUID } from 'node:crypto';
import {
  createOAuth2Client,
  createOriginRewriter,
  createPkcePair,
  type OAuth2Credentials,
} from '@cfm/connector-sdk';
import { connectorErrorOf, connectThroughFake, contextFor, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIGMA_SCOPES, figmaConnector } from './index.js';
import { client, redirectUri } from './test/figma-flow.js';
import { type FakeFigma, startFakeFigma } from './testing/index.js';

describe('figma connector against the fake Figma', () => {
  let fake: FakeFigma;
  let rewriteUrl: (url: string) => string;
  const oauth = (config: Record<string, unknown> = {}) =>
    createOAuth2Client(figmaConnector, { client, config, rewriteUrl });

  beforeAll(async () => {
    fake = await startFakeFigma(client);
    rewriteUrl = createOriginRewriter(fake.rewrite);
  });
  afterAll(async () => {
    await fake?.close();
  });

  const connect = () => connectThroughFake(figmaConnector, fake, { client, redirectUri });
  const context = (credentials: OAuth2Credentials, config: Record<string, unknown> = {}, retries = 0) =>
    contextFor(figmaConnector, {
      credentials,
      config,
      rewrite: fake.rewrite,
      retries,
      maxRetryDelayMs: 2000,
    });

  it('sends the browser to www.figma.com/oauth with space-separated scopes and an S256 challenge', () => {
    const url = new URL(
      createOAuth2Client(figmaConnector, { client, config: {} }).buildAuthorizeUrl({
        redirectUri,
        state: 'state-1',
        codeChallenge: createPkcePair().challenge,
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://www.figma.com/oauth');
    expect(url.searchParams.get('scope')).toBe('current_user:read file_content:read file_metadata:read');
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(FIGMA_SCOPES);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('exchanges the code with HTTP Basic and a form body, and keeps user_id_string as metadata', async () => {
    const { credentials, metadata } = await connect();
    const exchange = lastRequestTo(fake, '/v1/oauth/token');
    expect(exchange.headers['authorization']).toBe('Basic [redacted]');
    expect(exchange.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const body = exchange.body as Record<string, string>;
    expect(body['grant_type']).toBe('authorization_code');
    expect(body['code_verifier']).toBeTypeOf('string');
    expect(body['client_secret']).toBeUndefined();
    expect(metadata['userId']).toBe('1234567890123456789');
    expect(credentials.refreshToken).toBeTypeOf('string');
    // A token endpoint that only takes Basic would have refused anything else: this is proof it was used.
    expect(credentials.tokenType?.toLowerCase()).toBe('bearer');
  });

  it('refuses the exchange when the PKCE verifier does not match the challenge', async () => {
    const pkce = createPkcePair();
    const approval = await fake.approve(
      oauth().buildAuthorizeUrl({ redirectUri, state: randomUUID(), codeChallenge: pkce.challenge }),
    );
    const error = await connectorErrorOf(
      oauth().exchangeCode({
        code: approval.code,
        redirectUri,
        codeVerifier: createPkcePair().verifier,
        callbackParams: {},
      }),
    );
    expect(error.reason).toBe('auth');
    expect(error.providerCode).toBe('invalid_grant');
  });

  it('refreshes at /v1/oauth/token and keeps the old refresh token, which stays usable', async () => {
    const { credentials } = await connect();
    const refreshed = await oauth().refresh({ credentials });
    const request = fake.requests.at(-1);
    expect(request?.path).toBe('/v1/oauth/token');
    expect(request?.headers['authorization']).toBe('Basic [redacted]');
    expect(request?.body).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken,
    });
    expect(refreshed.credentials.accessToken).not.toBe(credentials.accessToken);
    expect(refreshed.credentials.refreshToken).toBe(credentials.refreshToken);
    const again = await oauth().refresh({ credentials: refreshed.credentials });
    expect(again.credentials.refreshToken).toBe(credentials.refreshToken);
    await expect(figmaConnector.check(context(again.credentials))).resolves.toBeDefined();
  });

  it('never calls the dead www.figma.com/api/oauth endpoints', async () => {
    await connect();
    expect(fake.requests.filter((request) => request.path.startsWith('/api/oauth'))).toEqual([]);
  });

  it('calls nobody back when the user rejects consent', async () => {
    const url = oauth().buildAuthorizeUrl({
      redirectUri,
      state: 'rejected',
      codeChallenge: createPkcePair().challenge,
    });
    const denial = await fake.deny(url);
    expect(denial.callbackUrl).toBeNull();
  });

  it('check() names the Figma user', async () => {
    const { credentials } = await connect();
    const result = await figmaConnector.check(context(credentials));
    expect(result.identity).toMatchObject({
      accountId: '1234567890123456789',
      displayName: 'Fake Designer',
      email: 'designer@example.com',
    });
    expect(result.metadata).toMatchObject({ userId: '1234567890123456789', handle: 'Fake Designer' });
  });

  it('check() maps Figma 403 {status, err} for a bad token to reason "auth"', async () => {
    const error = await connectorErrorOf(
      figmaConnector.check(context({ type: 'oauth2', accessToken: 'not-a-figma-token' })),
    );
    expect(error.reason).toBe('auth');
    expect(error.status).toBe(403);
    expect(error.message).not.toContain('not-a-figma-token');
  });

  it('fetchSample() returns the profile without a team and bounded projects with one', async () => {
    const { credentials } = await connect();
    const profile = await figmaConnector.fetchSample?.(context(credentials), { limit: 3 });
    expect(profile).toEqual({
      kind: 'profile',
      items: [{ id: '1234567890123456789', handle: 'Fake Designer', email: 'designer@example.com' }],
    });
    const projects = await figmaConnector.fetchSample?.(context(credentials, { teamId: '987654321' }), {
      limit: 4,
    });
    expect(projects?.kind).toBe('projects');
    expect(projects?.items).toEqual([
      { id: '1000', name: 'Project 1' },
      { id: '1001', name: 'Project 2' },
      { id: '1002', name: 'Project 3' },
      { id: '1003', name: 'Project 4' },
    ]);
    const unknown = await connectorErrorOf(
      figmaConnector.fetchSample?.(context(credentials, { teamId: '404' }), { limit: 4 }) ??
        Promise.resolve(),
    );
    expect(unknown.status).toBe(404);
  });

  it('waits out a short Retry-After and succeeds', async () => {
    const { credentials } = await connect();
    const before = fake.counts.userinfo;
    fake.rateLimitNext(1, { 'Retry-After': '1' });
    const result = await figmaConnector.check(context(credentials, {}, 1));
    expect(result.identity.accountId).toBe('1234567890123456789');
    // The 429 never reached the handler; the retry did.
    expect(fake.counts.userinfo).toBe(before + 1);
    expect(fake.requests.slice(-2).map((request) => request.path)).toEqual(['/v1/me', '/v1/me']);
  });

  it('reports a Retry-After beyond the bound as rate_limited without waiting for it', async () => {
    const { credentials } = await connect();
    fake.rateLimitNext(3, { 'Retry-After': '3600' });
    try {
      const error = await connectorErrorOf(figmaConnector.check(context(credentials, {}, 2)));
      expect(error.reason).toBe('rate_limited');
      expect(error.retryAfterMs).toBe(3_600_000);
      expect(error.retryable).toBe(true);
    } finally {
      fake.rateLimitNext(0);
    }
  });
});
