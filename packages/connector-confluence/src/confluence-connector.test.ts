import { siteMetadata } from '@cfm/atlassian-common';
import type { OAuth2Credentials } from '@cfm/connector-sdk';
import { createApiClient, createOAuth2Client, createOriginRewriter } from '@cfm/connector-sdk';
import { connectorErrorOf, lastRequestTo, contextFor as sdkContextFor } from '@cfm/connector-sdk/testing';
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

/** The connector's context against the fake, as the SDK testing kit builds it (one attempt, no retries). */
function contextFor(
  fake: FakeConfluence,
  credentials: OAuth2Credentials,
  options: { metadata?: Record<string, unknown>; config?: { site?: string } } = {},
) {
  return sdkContextFor<{ site?: string }>(confluenceConnector, {
    credentials,
    rewrite: fake.rewrite,
    ...options,
  });
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

  it('requests the Confluence scopes plus offline_access', () => {
    const client = createOAuth2Client(confluenceConnector, {
      client: { clientId: 'app-1', clientSecret: 's' },
      config: {},
    });
    const url = new URL(client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-1' }));
    expect(url.searchParams.get('scope')).toBe([...SCOPES, 'offline_access'].join(' '));
  });

  it('check reads the user from user/current on the resolved site and persists its cloud id and URL', async () => {
    const result = await confluenceConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials));
    expect(result.identity).toEqual({
      accountId: fake.user.accountId,
      displayName: 'Mia Krystof',
      email: 'mia.krystof@example.com',
      workspace: 'acme',
      site: 'https://acme.atlassian.net',
    });
    expect(result.metadata).toMatchObject({ cloudId: acme.id, siteUrl: acme.url });
    const paths = fake.requests.slice(-2).map((request) => request.path);
    expect(paths).toEqual([
      '/oauth/token/accessible-resources',
      `/ex/confluence/${acme.id}/wiki/rest/api/user/current`,
    ]);
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

  it('sends wiki/… API paths to api.atlassian.com/ex/confluence/{cloudId} with the Bearer token', async () => {
    expect(confluenceConnector.api?.baseUrl).toBe('https://api.atlassian.com/ex/confluence/{cloudId}');
    const api = createApiClient(confluenceConnector, {
      config: {},
      metadata: siteMetadata(globex),
      credentials: fake.issueTokensDirectly().credentials,
      rewriteUrl: createOriginRewriter(fake.rewrite),
      retries: 0,
    });
    const me = await api.get<{ accountId: string }>('wiki/rest/api/user/current');
    expect(me.body.accountId).toBe(fake.user.accountId);
    const request = lastRequestTo(fake, `/ex/confluence/${globex.id}/wiki/rest/api/user/current`);
    expect(request.headers['authorization']).toBe('Bearer [redacted]');
    expect((await connectorErrorOf(api.get('wiki/rest/api/user/current', { auth: false }))).reason).toBe(
      'auth',
    );
  });
});

describe('confluence connector quirks', () => {
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
