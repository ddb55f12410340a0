import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConnector } from '../define-connector.js';
import { ConnectorError } from '../errors.js';
import type { OAuth2AuthDescriptor } from '../types.js';
import { connectThroughFake, contextFor, fakeFlow, lastRequestTo } from './fake-flow.js';
import { startFakeOAuth2Provider } from './fake-oauth2-provider.js';
import type { FakeOAuth2ProviderOptions } from './fake-oauth2-types.js';
import { connectorErrorOf, rejectionOf } from './rejection-of.js';

const ORIGIN = 'https://acme.example.test';
const client = { clientId: 'flow-client', clientSecret: 'flow-secret' };

/** Who-am-I at `/api/whoami`; the exchange hook copies the callback parameters it got into the metadata. */
function acmeConnector(descriptor: Partial<OAuth2AuthDescriptor> = {}) {
  return defineConnector({
    key: 'acme',
    name: 'Acme',
    description: 'A connector used to test the flow helpers.',
    configSchema: Type.Object({}),
    auth: [
      {
        type: 'oauth2',
        authorizeUrl: `${ORIGIN}/oauth/authorize`,
        tokenUrl: `${ORIGIN}/oauth/token`,
        scopes: { required: ['read'] },
        ...descriptor,
      },
    ],
    async check(ctx) {
      const me = await ctx.http.get<{ id: string }>(`${ORIGIN}/api/whoami`);
      return { identity: { accountId: me.body.id } };
    },
    oauth2: {
      async exchangeCode(input, _ctx, next) {
        const tokens = await next(input);
        return { ...tokens, metadata: { ...tokens.metadata, callbackParams: input.callbackParams } };
      },
    },
  });
}

async function startAcme(options: Partial<FakeOAuth2ProviderOptions> = {}) {
  const provider = await startFakeOAuth2Provider({
    ...client,
    routes: {
      'GET /api/whoami': (_request, helpers) => {
        helpers.requireToken();
        return { status: 200, body: { id: 'user-1' } };
      },
    },
    ...options,
  });
  return Object.assign(provider, { rewrite: new Map([[ORIGIN, provider.url]]) });
}

describe('connectThroughFake and contextFor', () => {
  let pkceFake: Awaited<ReturnType<typeof startAcme>>;
  let plainFake: Awaited<ReturnType<typeof startAcme>>;
  beforeAll(async () => {
    pkceFake = await startAcme({ pkce: 'required', extraCallbackParams: { region: 'eu', other: 'x' } });
    plainFake = await startAcme({ pkce: 'off' });
  });
  afterAll(async () => {
    await Promise.all([pkceFake?.close(), plainFake?.close()]);
  });

  it('connects with PKCE, handing over only the callback parameters the descriptor names', async () => {
    const connector = acmeConnector({ callbackParams: ['region'] });
    const tokens = await connectThroughFake(connector, pkceFake, { client });
    expect(pkceFake.tokens.some((token) => token.value === tokens.credentials.accessToken)).toBe(true);
    // The fake requires PKCE, so the exchange succeeding proves the verifier matched the challenge.
    expect(lastRequestTo(pkceFake, '/oauth/token').body).toHaveProperty('code_verifier');
    expect(tokens.metadata).toEqual({ callbackParams: { region: 'eu' } });
  });

  it('sends no PKCE challenge for a descriptor with pkce "off", and passes given callback parameters', async () => {
    const connector = acmeConnector({ pkce: 'off' });
    const tokens = await connectThroughFake(connector, plainFake, {
      client,
      callbackParams: { region: 'us' },
    });
    expect(lastRequestTo(plainFake, '/oauth/token').body).not.toHaveProperty('code_verifier');
    expect(tokens.metadata).toEqual({ callbackParams: { region: 'us' } });
  });

  it('fails as the provider refuses a wrong client secret', async () => {
    const error = await connectorErrorOf(
      connectThroughFake(acmeConnector(), pkceFake, { client: { ...client, clientSecret: 'wrong' } }),
    );
    expect(error.reason).toBe('auth');
  });

  it('builds a context at the fake that tries once unless told otherwise', async () => {
    const connector = acmeConnector();
    const tokens = await connectThroughFake(connector, pkceFake, { client });
    const result = await connector.check(contextFor(connector, { ...tokens, rewrite: pkceFake.rewrite }));
    expect(result.identity.accountId).toBe('user-1');
    try {
      pkceFake.rateLimitNext(1, { 'Retry-After': '0' });
      const error = await connectorErrorOf(
        connector.check(contextFor(connector, { ...tokens, rewrite: pkceFake.rewrite })),
      );
      expect(error.reason).toBe('rate_limited');
      pkceFake.rateLimitNext(1, { 'Retry-After': '0' });
      const retried = await connector.check(
        contextFor(connector, { ...tokens, rewrite: pkceFake.rewrite, retries: 1 }),
      );
      expect(retried.identity.accountId).toBe('user-1');
    } finally {
      pkceFake.rateLimitNext(0);
    }
  });

  it('fakeFlow binds the client, the config and the fake together', async () => {
    const connector = acmeConnector();
    const flow = fakeFlow(connector, pkceFake, { client });
    expect(flow.oauth.descriptor.tokenUrl).toBe(`${pkceFake.url}/oauth/token`);
    const tokens = await flow.connect();
    const refreshed = await flow.oauth.refresh({ credentials: tokens.credentials });
    expect(lastRequestTo(pkceFake, '/oauth/token').body).toMatchObject({ grant_type: 'refresh_token' });
    const result = await connector.check(flow.context(refreshed));
    expect(result.identity.accountId).toBe('user-1');
    const plain = fakeFlow(acmeConnector({ pkce: 'off' }), plainFake, { client });
    const url = plain.authorizeUrl('state-7');
    expect(url.origin).toBe(plainFake.url);
    expect(url.searchParams.get('state')).toBe('state-7');
  });

  it('fakeFlow connects with the scopes asked for, and builds action contexts bound to the api', async () => {
    const connector = defineConnector({
      ...acmeConnector({ scopes: { required: ['read'], optional: ['write'] } }),
      api: { baseUrl: `${ORIGIN}/api` },
    });
    const flow = fakeFlow(connector, pkceFake, { client });
    const narrow = await flow.connect();
    const wide = await flow.connect({ scopes: ['read', 'write'] });
    const scopesOf = (token: string) => pkceFake.tokens.find((record) => record.value === token)?.scopes;
    expect(scopesOf(narrow.credentials.accessToken)).toEqual(['read']);
    expect(scopesOf(wide.credentials.accessToken)).toEqual(['read', 'write']);
    const ctx = flow.actionContext(wide);
    const me = await ctx.api.get<{ id: string }>('whoami');
    expect(me.body.id).toBe('user-1');
    expect(lastRequestTo(pkceFake, '/api/whoami').headers['authorization']).toBe('Bearer [redacted]');
  });

  it('lastRequestTo throws when the fake saw no request to the path', () => {
    expect(() => lastRequestTo(pkceFake, '/never')).toThrow('the fake saw no request to /never');
  });
});

describe('rejectionOf and connectorErrorOf', () => {
  it('resolve to the rejection, and reject when the call succeeds', async () => {
    const error = new Error('boom');
    expect(await rejectionOf(Promise.reject(error))).toBe(error);
    await expect(rejectionOf(Promise.resolve(1))).rejects.toThrow('expected a rejection');
    await expect(connectorErrorOf(Promise.resolve(1))).rejects.toThrow('expected a rejection');
  });

  it('connectorErrorOf rethrows anything but a ConnectorError', async () => {
    const other = new TypeError('not a connector error');
    await expect(connectorErrorOf(Promise.reject(other))).rejects.toBe(other);
    const connectorError = new ConnectorError('refused', { reason: 'auth' });
    expect(await connectorErrorOf(Promise.reject(connectorError))).toBe(connectorError);
  });
});
