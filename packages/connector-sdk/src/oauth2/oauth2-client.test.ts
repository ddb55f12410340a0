import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConnector } from '../define-connector.js';
import type { ConnectorError } from '../errors.js';
import { createOriginRewriter } from '../http/origin-rewriter.js';
import { type LocalServer, sendJson, startLocalServer } from '../test/local-server.js';
import { connectorErrorOf } from '../testing/rejection-of.js';
import type { OAuth2AuthDescriptor, OAuth2Hooks } from '../types.js';
import { createOAuth2Client } from './oauth2-client.js';
import { createPkcePair } from './pkce.js';

const CLIENT = { clientId: 'client-abc', clientSecret: 'shh-client-secret-42' };
const CODE = 'auth-code-7777';
const VERIFIER = 'verifier-abcdefghijklmnopqrstuvwxyz-0123456789';
const REFRESH = 'refresh-token-old-1111';
const ACCESS = 'access-token-2222';
const SECRETS = [CLIENT.clientSecret, CODE, VERIFIER, REFRESH, ACCESS];

/** Answers by path: each test uses its own path so recorded requests stay separate. */
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer((request, response) => {
    const path = new URL(request.url, 'http://local').pathname;
    switch (path) {
      case '/token/ok':
        return sendJson(response, 200, {
          access_token: 'new-access',
          refresh_token: 'new-refresh',
          expires_in: 3600,
          scope: 'read,write',
          token_type: 'bearer',
          team: { id: 'T1', name: 'Acme' },
          authed_user: { id: 'U1', access_token: 'xoxp-user' },
          ok: true,
        });
      case '/token/no-rotation':
        return sendJson(response, 200, {
          access_token: 'new-access',
          token_type: 'bearer',
          expires_in: '60',
        });
      case '/token/invalid-grant':
        return sendJson(response, 400, { error: 'invalid_grant', error_description: `bad code ${CODE}` });
      case '/token/atlassian-403':
        return sendJson(response, 403, {
          error: 'invalid_grant',
          error_description: 'Unknown or invalid refresh token.',
        });
      case '/token/slack-error':
        return sendJson(response, 200, { ok: false, error: 'invalid_code' });
      case '/token/no-access-token':
        return sendJson(response, 200, { token_type: 'bearer' });
      case '/token/down':
        return sendJson(response, 502, { message: 'bad gateway' });
      case '/token/limited':
        return sendJson(response, 429, { error: 'slow_down' }, { 'retry-after': '30' });
      case '/revoke':
        return sendJson(response, 200, {});
      default:
        return sendJson(response, 404, { error: 'not_found' });
    }
  });
});

afterAll(async () => {
  await server.close();
});

function connectorWith(descriptor: Partial<OAuth2AuthDescriptor>, oauth2?: OAuth2Hooks) {
  return defineConnector({
    key: 'acme',
    name: 'Acme',
    description: 'Acme test connector.',
    configSchema: Type.Object({ site: Type.String() }),
    auth: [
      {
        type: 'oauth2',
        authorizeUrl: 'https://auth.{site}/authorize',
        tokenUrl: 'https://api.{site}/token/ok',
        scopes: { required: ['read', 'write'] },
        ...descriptor,
      },
    ],
    check: async () => ({ identity: { accountId: '1' } }),
    ...(oauth2 && { oauth2 }),
  });
}

/** Sends both fake provider origins (auth.acme.test and api.acme.test) to the local server. */
function clientFor(descriptor: Partial<OAuth2AuthDescriptor>, oauth2?: OAuth2Hooks) {
  const rewriteUrl = createOriginRewriter(
    new Map([
      ['https://auth.acme.test', server.origin],
      ['https://api.acme.test', server.origin],
    ]),
  );
  return createOAuth2Client(connectorWith(descriptor, oauth2), {
    client: CLIENT,
    config: { site: 'acme.test' },
    rewriteUrl,
  });
}

function lastRequestTo(path: string) {
  const found = server.requests.filter((request) => request.url.startsWith(path)).at(-1);
  if (!found) throw new Error(`no request to ${path}`);
  return found;
}

/** The `ConnectorError` the call fails with, checked to repeat none of the secrets. */
async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await connectorErrorOf(promise);
  for (const secret of SECRETS) expect(error.message).not.toContain(secret);
  return error;
}

describe('buildAuthorizeUrl', () => {
  it('fills placeholders, rewrites the origin and adds the standard parameters with PKCE', () => {
    const oauth = clientFor({ extraAuthorizeParams: { audience: 'api.acme.test', prompt: 'consent' } });
    const { challenge } = createPkcePair();
    const url = new URL(
      oauth.buildAuthorizeUrl({ redirectUri: 'http://app/cb', state: 's1', codeChallenge: challenge }),
    );
    expect(url.origin).toBe(server.origin);
    expect(url.pathname).toBe('/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: 'http://app/cb',
      state: 's1',
      scope: 'read write',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      audience: 'api.acme.test',
      prompt: 'consent',
    });
    expect(url.toString()).not.toContain(CLIENT.clientSecret);
  });

  it('joins scopes with a comma, omits empty scopes and PKCE when off', () => {
    const comma = clientFor({ scopeSeparator: ',', pkce: 'off' });
    const withScopes = new URL(
      comma.buildAuthorizeUrl({ redirectUri: 'http://app/cb', state: 's', scopes: ['a', 'b'] }),
    );
    expect(withScopes.searchParams.get('scope')).toBe('a,b');
    expect(withScopes.searchParams.has('code_challenge')).toBe(false);
    const empty = new URL(comma.buildAuthorizeUrl({ redirectUri: 'http://app/cb', state: 's', scopes: [] }));
    expect(empty.searchParams.has('scope')).toBe(false);
  });

  it('refuses to build a PKCE URL without a challenge', () => {
    expect(() => clientFor({}).buildAuthorizeUrl({ redirectUri: 'http://app/cb', state: 's' })).toThrow(
      /codeChallenge/,
    );
  });

  it('names a missing config field', () => {
    expect(() => createOAuth2Client(connectorWith({}), { client: CLIENT, config: {} })).toThrow(/"site"/);
  });
});

describe('exchangeCode', () => {
  it('uses HTTP Basic and a form body', async () => {
    const oauth = clientFor({
      clientAuth: 'basic',
      tokenRequestFormat: 'form',
      extraTokenParams: { audience: 'x' },
    });
    const tokens = await oauth.exchangeCode({
      code: CODE,
      redirectUri: 'http://app/cb',
      codeVerifier: VERIFIER,
      callbackParams: {},
    });
    const request = lastRequestTo('/token/ok');
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers['authorization']).toBe(
      `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: 'http://app/cb',
      code_verifier: VERIFIER,
      audience: 'x',
    });
    expect(tokens.credentials).toMatchObject({
      type: 'oauth2',
      accessToken: 'new-access',
      refreshToken: 'new-refresh',
      tokenType: 'bearer',
      scopes: ['read', 'write'],
      extra: { authed_user: { id: 'U1', access_token: 'xoxp-user' } },
    });
    expect(Date.parse(tokens.credentials.expiresAt ?? '')).toBeGreaterThan(Date.now() + 3500_000);
    expect(tokens.metadata).toEqual({ team: { id: 'T1', name: 'Acme' } });
  });

  it('puts client credentials in a JSON body with token headers', async () => {
    const oauth = clientFor({
      clientAuth: 'body',
      tokenRequestFormat: 'json',
      pkce: 'off',
      tokenHeaders: { 'Notion-Version': '2022-06-28' },
    });
    await oauth.exchangeCode({
      code: CODE,
      redirectUri: 'http://app/cb',
      codeVerifier: VERIFIER,
      callbackParams: {},
    });
    const request = lastRequestTo('/token/ok');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['authorization']).toBeUndefined();
    expect(request.headers['notion-version']).toBe('2022-06-28');
    expect(JSON.parse(request.body)).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: 'http://app/cb',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
  });

  it('maps invalid_grant (400) to auth without leaking the description', async () => {
    const oauth = clientFor({ tokenUrl: 'https://api.{site}/token/invalid-grant' });
    const error = await failure(
      oauth.exchangeCode({
        code: CODE,
        redirectUri: 'http://app/cb',
        codeVerifier: VERIFIER,
        callbackParams: {},
      }),
    );
    expect(error).toMatchObject({
      reason: 'auth',
      retryable: false,
      status: 400,
      providerCode: 'invalid_grant',
    });
    expect(error.message).toContain('token endpoint answered invalid_grant');
  });

  it('maps a Slack ok:false HTTP 200 to auth with its error name', async () => {
    const oauth = clientFor({ tokenUrl: 'https://api.{site}/token/slack-error' });
    const error = await failure(
      oauth.exchangeCode({
        code: CODE,
        redirectUri: 'http://app/cb',
        codeVerifier: VERIFIER,
        callbackParams: {},
      }),
    );
    expect(error).toMatchObject({ reason: 'auth', providerCode: 'invalid_code' });
  });

  it('maps a 2xx without access_token to provider', async () => {
    const oauth = clientFor({ tokenUrl: 'https://api.{site}/token/no-access-token' });
    const error = await failure(
      oauth.exchangeCode({
        code: CODE,
        redirectUri: 'http://app/cb',
        codeVerifier: VERIFIER,
        callbackParams: {},
      }),
    );
    expect(error).toMatchObject({ reason: 'provider', retryable: false });
  });

  it('maps 5xx to a retryable provider error and 429 to rate_limited', async () => {
    const down = clientFor({ tokenUrl: 'https://api.{site}/token/down' });
    const downError = await failure(
      down.exchangeCode({
        code: CODE,
        redirectUri: 'http://app/cb',
        codeVerifier: VERIFIER,
        callbackParams: {},
      }),
    );
    expect(downError).toMatchObject({ reason: 'provider', retryable: true, status: 502 });
    const limited = clientFor({ tokenUrl: 'https://api.{site}/token/limited' });
    const limitedError = await failure(
      limited.exchangeCode({
        code: CODE,
        redirectUri: 'http://app/cb',
        callbackParams: {},
        codeVerifier: VERIFIER,
      }),
    );
    expect(limitedError).toMatchObject({ reason: 'rate_limited', retryable: true, retryAfterMs: 30_000 });
  });
});

describe('refresh', () => {
  const previous = { type: 'oauth2' as const, accessToken: ACCESS, refreshToken: REFRESH, scopes: ['read'] };

  it('stores a rotated refresh token', async () => {
    const oauth = clientFor({ clientAuth: 'body', tokenRequestFormat: 'json' });
    const tokens = await oauth.refresh({ credentials: previous });
    expect(JSON.parse(lastRequestTo('/token/ok').body)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: REFRESH,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(tokens.credentials.refreshToken).toBe('new-refresh');
  });

  it('keeps the old refresh token (and scopes) when the answer has none, using refreshUrl', async () => {
    const oauth = clientFor({ refreshUrl: 'https://api.{site}/token/no-rotation', clientAuth: 'basic' });
    const tokens = await oauth.refresh({ credentials: previous });
    expect(new URLSearchParams(lastRequestTo('/token/no-rotation').body).get('refresh_token')).toBe(REFRESH);
    expect(tokens.credentials).toMatchObject({
      accessToken: 'new-access',
      refreshToken: REFRESH,
      scopes: ['read'],
    });
    expect(tokens.credentials.expiresAt).not.toBeNull();
  });

  it("maps Atlassian's 403 invalid_grant to auth", async () => {
    const oauth = clientFor({
      tokenUrl: 'https://api.{site}/token/atlassian-403',
      tokenRequestFormat: 'json',
    });
    const error = await failure(oauth.refresh({ credentials: previous }));
    expect(error).toMatchObject({ reason: 'auth', status: 403, providerCode: 'invalid_grant' });
  });

  it('fails with auth when there is no refresh token', async () => {
    const error = await failure(
      clientFor({}).refresh({ credentials: { type: 'oauth2', accessToken: ACCESS } }),
    );
    expect(error.reason).toBe('auth');
  });
});

describe('revoke', () => {
  it('posts the token with a type hint and client authentication (RFC 7009)', async () => {
    const oauth = clientFor({ revokeUrl: 'https://api.{site}/revoke' });
    expect(oauth.canRevoke).toBe(true);
    await oauth.revoke({ credentials: { type: 'oauth2', accessToken: ACCESS, refreshToken: REFRESH } });
    expect(Object.fromEntries(new URLSearchParams(lastRequestTo('/revoke').body))).toEqual({
      token: REFRESH,
      token_type_hint: 'refresh_token',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
  });

  it('reports that it cannot revoke without an endpoint or hook', async () => {
    const oauth = clientFor({});
    expect(oauth.canRevoke).toBe(false);
    await expect(
      oauth.revoke({ credentials: { type: 'oauth2', accessToken: ACCESS } }),
    ).resolves.toBeUndefined();
  });
});

describe('hooks', () => {
  it('receive the generic step as next and can adjust input and output', async () => {
    const oauth = clientFor(
      { revokeUrl: 'https://api.{site}/revoke' },
      {
        buildAuthorizeUrl(input, _ctx, next) {
          const url = next({ ...input, scopes: [...input.scopes, 'offline_access'] });
          url.searchParams.set('user_scope', 'identify');
          return url;
        },
        async exchangeCode(input, ctx, next) {
          const tokens = await next({ ...input, redirectUri: `${input.redirectUri}?hooked=1` });
          return { ...tokens, metadata: { ...tokens.metadata, site: ctx.config['site'] } };
        },
        parseTokenResponse(input, _ctx, next) {
          const tokens = next(input);
          return { ...tokens, metadata: { ...tokens.metadata, parsedBy: 'hook' } };
        },
        async revoke(input, ctx, next) {
          await ctx.http.post(`${ctx.descriptor.tokenUrl}?before-revoke=1`, {
            auth: false,
            throwOnError: false,
          });
          return next(input);
        },
      },
    );
    const url = new URL(
      oauth.buildAuthorizeUrl({ redirectUri: 'http://app/cb', state: 's', codeChallenge: 'c' }),
    );
    expect(url.searchParams.get('scope')).toBe('read write offline_access');
    expect(url.searchParams.get('user_scope')).toBe('identify');

    const tokens = await oauth.exchangeCode({ code: CODE, redirectUri: 'http://app/cb', callbackParams: {} });
    expect(new URLSearchParams(lastRequestTo('/token/ok').body).get('redirect_uri')).toBe(
      'http://app/cb?hooked=1',
    );
    expect(tokens.metadata).toMatchObject({
      site: 'acme.test',
      parsedBy: 'hook',
      team: { id: 'T1', name: 'Acme' },
    });

    await oauth.revoke({ credentials: { type: 'oauth2', accessToken: ACCESS } });
    expect(lastRequestTo('/token/ok?before-revoke=1').method).toBe('POST');
    expect(new URLSearchParams(lastRequestTo('/revoke').body).get('token_type_hint')).toBe('access_token');
  });
});
