import type { ConnectorContextOptions, OAuth2Credentials } from '@cfm/connector-sdk';
import {
  ConnectorError,
  createConnectorContext,
  createOAuth2Client,
  createOriginRewriter,
} from '@cfm/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confluenceConnector } from './confluence-connector.js';
import { type FakeConfluence, fakeSite, startFakeConfluence } from './testing/index.js';

const SCOPES = [
  'read:confluence-content.all',
  'read:confluence-space.summary',
  'search:confluence',
  'read:confluence-user',
];
const REDIRECT_URI = 'http://127.0.0.1:5173/oauth/callback';

function contextFor(
  fake: FakeConfluence,
  credentials: OAuth2Credentials,
  options: Partial<ConnectorContextOptions<{ site?: string }>> = {},
) {
  return createConnectorContext<{ site?: string }>(confluenceConnector, {
    config: {},
    credentials,
    rewriteUrl: createOriginRewriter(fake.rewrite),
    ...options,
  });
}

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (caught: unknown) => caught,
  );
  if (!ConnectorError.is(error)) throw error;
  return error;
}

describe('confluence connector against the fake Atlassian', () => {
  let fake: FakeConfluence;
  const acme = fakeSite('acme', SCOPES);
  const globex = fakeSite('globex', SCOPES);

  beforeAll(async () => {
    fake = await startFakeConfluence({ sites: [acme, globex] });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('builds the documented authorize URL: audience, prompt=consent, offline_access, no PKCE', () => {
    const client = createOAuth2Client(confluenceConnector, {
      client: { clientId: 'app-1', clientSecret: 's' },
      config: {},
    });
    const url = new URL(client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-1' }));
    expect(`${url.origin}${url.pathname}`).toBe('https://auth.atlassian.com/authorize');
    expect(url.searchParams.get('scope')).toBe([...SCOPES, 'offline_access'].join(' '));
    expect(url.searchParams.get('audience')).toBe('api.atlassian.com');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.has('code_challenge')).toBe(false);
    expect(client.descriptor.revokeUrl).toBeUndefined();
  });

  it('rotates refresh tokens: the old one is refused with 403 invalid_grant → auth', async () => {
    const client = createOAuth2Client(confluenceConnector, {
      client: { clientId: fake.clientId, clientSecret: fake.clientSecret },
      config: {},
      rewriteUrl: createOriginRewriter(fake.rewrite),
    });
    const { code } = await fake.approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-2' }),
    );
    const first = await client.exchangeCode({ code, redirectUri: REDIRECT_URI, callbackParams: {} });
    const second = await client.refresh({ credentials: first.credentials });
    expect(second.credentials.refreshToken).not.toBe(first.credentials.refreshToken);
    const refresh = fake.requests.findLast((request) => request.path === '/oauth/token');
    expect(refresh?.body).toMatchObject({ grant_type: 'refresh_token', client_id: fake.clientId });
    const replay = await rejection(client.refresh({ credentials: first.credentials }));
    expect(replay).toMatchObject({ reason: 'auth', status: 403, providerCode: 'invalid_grant' });
  });

  it('check uses the first site by default and persists its cloud id and URL', async () => {
    const result = await confluenceConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials));
    expect(result.identity).toEqual({
      accountId: fake.user.accountId,
      displayName: 'Mia Krystof',
      email: 'mia.krystof@example.com',
      workspace: 'acme',
      site: 'https://acme.atlassian.net',
    });
    expect(result.metadata).toMatchObject({ cloudId: acme.id, siteUrl: acme.url });
  });

  it('check uses the site the config names and refuses one the grant does not cover', async () => {
    const credentials = fake.issueTokensDirectly().credentials;
    const chosen = await confluenceConnector.check(
      contextFor(fake, credentials, { config: { site: globex.url } }),
    );
    expect(chosen.metadata).toMatchObject({ cloudId: globex.id, siteUrl: globex.url });
    const error = await rejection(
      confluenceConnector.check(
        contextFor(fake, credentials, { config: { site: 'https://initech.atlassian.net' } }),
      ),
    );
    expect(error.reason).toBe('config');
  });

  it('fetchSample lists at most `limit` spaces of the stored site through the v2 API', async () => {
    const ctx = contextFor(fake, fake.issueTokensDirectly().credentials, {
      metadata: { cloudId: globex.id },
    });
    const before = fake.requests.length;
    const sample = await confluenceConnector.fetchSample?.(ctx, { limit: 2 });
    expect(sample).toEqual({
      kind: 'spaces',
      items: [
        { id: '98000', key: 'SP1', name: 'Space 1', type: 'global', status: 'current' },
        { id: '98001', key: 'SP2', name: 'Space 2', type: 'global', status: 'current' },
      ],
    });
    const calls = fake.requests.slice(before);
    expect(calls.map((request) => request.path)).toEqual([`/ex/confluence/${globex.id}/wiki/api/v2/spaces`]);
    expect(calls[0]?.query['limit']).toBe('2');
  });
});

describe('confluence connector quirks', () => {
  it('reports a grant without any site as permission', async () => {
    const fake = await startFakeConfluence({ sites: [] });
    try {
      const error = await rejection(
        confluenceConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials)),
      );
      expect(error.reason).toBe('permission');
    } finally {
      await fake.close();
    }
  });

  it('accepts a user whose email is hidden and falls back to the public name', async () => {
    const fake = await startFakeConfluence({ user: { email: null, displayName: '' } });
    try {
      const result = await confluenceConnector.check(
        contextFor(fake, fake.issueTokensDirectly().credentials),
      );
      expect(result.identity.email).toBeNull();
      expect(result.identity.displayName).toBe('mia');
    } finally {
      await fake.close();
    }
  });

  it('falls back to the v1 space list when the v2 API is missing', async () => {
    const fake = await startFakeConfluence({ v2Spaces: false });
    try {
      const sample = await confluenceConnector.fetchSample?.(
        contextFor(fake, fake.issueTokensDirectly().credentials),
        { limit: 3 },
      );
      expect(sample?.items).toHaveLength(3);
      expect(sample?.items[0]).toEqual({
        id: '98000',
        key: 'SP1',
        name: 'Space 1',
        type: 'global',
        status: 'current',
      });
      const paths = fake.requests.map((request) => request.path);
      expect(paths).toContain(`/ex/confluence/${fake.sites[0]?.id}/wiki/rest/api/space`);
    } finally {
      await fake.close();
    }
  });
});
