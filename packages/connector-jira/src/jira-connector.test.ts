import type { ConnectorContextOptions, OAuth2Credentials } from '@cfm/connector-sdk';
import {
  ConnectorError,
  createConnectorContext,
  createOAuth2Client,
  createOriginRewriter,
} from '@cfm/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraConnector } from './jira-connector.js';
import { type FakeJira, fakeSite, startFakeJira } from './testing/index.js';

const SCOPES = ['read:jira-work', 'read:jira-user'];
const REDIRECT_URI = 'http://127.0.0.1:5173/oauth/callback';

function rewriterFor(fake: FakeJira) {
  return createOriginRewriter(new Map(Object.entries(fake.originOverrides)));
}

function contextFor(
  fake: FakeJira,
  credentials: OAuth2Credentials,
  options: Partial<ConnectorContextOptions<{ site?: string }>> = {},
) {
  return createConnectorContext<{ site?: string }>(jiraConnector, {
    config: {},
    credentials,
    rewriteUrl: rewriterFor(fake),
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

describe('jira connector against the fake Atlassian', () => {
  let fake: FakeJira;
  const acme = fakeSite('acme', SCOPES);
  const globex = fakeSite('globex', SCOPES);

  beforeAll(async () => {
    fake = await startFakeJira({ sites: [acme, globex] });
  });
  afterAll(async () => {
    await fake.close();
  });

  function oauthClient() {
    return createOAuth2Client(jiraConnector, {
      client: { clientId: fake.clientId, clientSecret: fake.clientSecret },
      config: {},
      rewriteUrl: rewriterFor(fake),
    });
  }

  it('builds the documented authorize URL: audience, prompt=consent, offline_access, no PKCE', () => {
    const client = createOAuth2Client(jiraConnector, {
      client: { clientId: 'app-1', clientSecret: 's' },
      config: {},
    });
    const url = new URL(client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-1' }));
    expect(`${url.origin}${url.pathname}`).toBe('https://auth.atlassian.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      audience: 'api.atlassian.com',
      client_id: 'app-1',
      scope: 'read:jira-work read:jira-user offline_access',
      redirect_uri: REDIRECT_URI,
      state: 'state-1',
      response_type: 'code',
      prompt: 'consent',
    });
    // A deployment narrowing the scopes still gets a refresh token.
    const narrowed = new URL(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's', scopes: SCOPES }),
    );
    expect(narrowed.searchParams.get('scope')).toBe('read:jira-work read:jira-user offline_access');
    expect(client.canRevoke).toBe(false);
  });

  it('exchanges a code with a JSON body carrying the client secret, then rotates refresh tokens', async () => {
    const client = oauthClient();
    const { code } = await fake.approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-2' }),
    );
    const first = await client.exchangeCode({ code, redirectUri: REDIRECT_URI, callbackParams: {} });
    const exchange = fake.requests.findLast((request) => request.path === '/oauth/token');
    expect(exchange?.headers['content-type']).toMatch(/^application\/json/);
    expect(exchange?.headers['authorization']).toBeUndefined();
    // The fake only accepts the client secret in the body (it records it redacted).
    expect(exchange?.body).toMatchObject({ grant_type: 'authorization_code', client_id: fake.clientId });
    expect(exchange?.body).toHaveProperty('client_secret');
    expect(first.credentials.refreshToken).toBeTruthy();

    const second = await client.refresh({ credentials: first.credentials });
    expect(second.credentials.refreshToken).toBeTruthy();
    expect(second.credentials.refreshToken).not.toBe(first.credentials.refreshToken);
    expect(second.credentials.accessToken).not.toBe(first.credentials.accessToken);

    // The old refresh token died with the rotation: replaying it is Atlassian's 403 invalid_grant.
    const replay = await rejection(client.refresh({ credentials: first.credentials }));
    expect(replay).toMatchObject({
      reason: 'auth',
      status: 403,
      providerCode: 'invalid_grant',
      retryable: false,
    });
    expect(replay.message).not.toContain(first.credentials.refreshToken);
  });

  it('check picks the first site by default and persists its cloud id and URL', async () => {
    const result = await jiraConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials));
    expect(result.identity).toEqual({
      accountId: fake.user.accountId,
      displayName: 'Mia Krystof',
      email: 'mia.krystof@example.com',
      workspace: 'acme',
      site: 'https://acme.atlassian.net',
    });
    expect(result.metadata).toMatchObject({ cloudId: acme.id, siteUrl: acme.url });
  });

  it.each([
    ['its URL', 'https://globex.atlassian.net/'],
    ['its host', 'globex.atlassian.net'],
    ['its name', 'Globex'],
    ['its cloud id', globex.id],
  ])('check picks the site the config names by %s', async (_label, site) => {
    const ctx = contextFor(fake, fake.issueTokensDirectly().credentials, { config: { site } });
    const result = await jiraConnector.check(ctx);
    expect(result.identity.site).toBe(globex.url);
    expect(result.metadata).toMatchObject({ cloudId: globex.id, siteUrl: globex.url });
  });

  it('check keeps the site chosen earlier, since the list order is not meaningful', async () => {
    const ctx = contextFor(fake, fake.issueTokensDirectly().credentials, {
      metadata: { cloudId: globex.id },
    });
    expect((await jiraConnector.check(ctx)).identity.workspace).toBe('globex');
  });

  it('check refuses a configured site the grant does not cover (config)', async () => {
    const ctx = contextFor(fake, fake.issueTokensDirectly().credentials, { config: { site: 'initech' } });
    const error = await rejection(jiraConnector.check(ctx));
    expect(error.reason).toBe('config');
    expect(error.message).toContain('initech');
  });

  it('check reports a bad access token as auth', async () => {
    const error = await rejection(
      jiraConnector.check(contextFor(fake, { type: 'oauth2', accessToken: 'nope' })),
    );
    expect(error.reason).toBe('auth');
  });

  it('fetchSample returns at most `limit` recent issues from the stored site', async () => {
    const ctx = contextFor(fake, fake.issueTokensDirectly().credentials, {
      metadata: { cloudId: globex.id },
    });
    const before = fake.requests.length;
    const sample = await jiraConnector.fetchSample?.(ctx, { limit: 3 });
    expect(sample?.kind).toBe('issues');
    expect(sample?.items).toEqual([
      { id: '10029', key: 'DEMO-30', summary: 'Demo issue 30', status: 'Done', updated: expect.any(String) },
      {
        id: '10028',
        key: 'DEMO-29',
        summary: 'Demo issue 29',
        status: 'In Progress',
        updated: expect.any(String),
      },
      { id: '10027', key: 'DEMO-28', summary: 'Demo issue 28', status: 'To Do', updated: expect.any(String) },
    ]);
    const calls = fake.requests.slice(before);
    expect(calls.map((request) => request.path)).toEqual([`/ex/jira/${globex.id}/rest/api/3/search/jql`]);
    expect(calls[0]?.query).toMatchObject({ jql: 'order by updated DESC', maxResults: '3' });
  });
});

describe('jira connector quirks', () => {
  it('reports a grant without any site as permission', async () => {
    const fake = await startFakeJira({ sites: [] });
    try {
      const error = await rejection(
        jiraConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials)),
      );
      expect(error.reason).toBe('permission');
      expect(error.message).toMatch(/no site/);
    } finally {
      await fake.close();
    }
  });

  it('accepts a user whose emailAddress is hidden (null)', async () => {
    const fake = await startFakeJira({ user: { emailAddress: null } });
    try {
      const result = await jiraConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials));
      expect(result.identity.email).toBeNull();
      expect(result.identity.accountId).toBe(fake.user.accountId);
    } finally {
      await fake.close();
    }
  });

  it('falls back to the legacy search endpoint and resolves the site when none is stored', async () => {
    const fake = await startFakeJira({ searchJql: false });
    try {
      const sample = await jiraConnector.fetchSample?.(
        contextFor(fake, fake.issueTokensDirectly().credentials),
        {
          limit: 2,
        },
      );
      expect(sample?.items).toHaveLength(2);
      const paths = fake.requests.map((request) => request.path);
      expect(paths).toContain('/oauth/token/accessible-resources');
      expect(paths).toContain(`/ex/jira/${fake.sites[0]?.id}/rest/api/3/search`);
    } finally {
      await fake.close();
    }
  });
});
