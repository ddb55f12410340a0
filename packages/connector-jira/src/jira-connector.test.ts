import { siteMetadata } from '@cfm/atlassian-common';
import type { OAuth2Credentials } from '@cfm/connector-sdk';
import {
  createApiClient,
  createOAuth2Client,
  createOriginRewriter,
  resolveApiBaseUrl,
} from '@cfm/connector-sdk';
import { connectorErrorOf, lastRequestTo, contextFor as sdkContextFor } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraConnector } from './jira-connector.js';
import { type FakeJira, fakeSite, startFakeJira } from './testing/index.js';

const SCOPES = ['read:jira-work', 'read:jira-user'];
const REDIRECT_URI = 'http://127.0.0.1:5173/oauth/callback';

/** The connector's context against the fake, as the SDK testing kit builds it (one attempt, no retries). */
function contextFor(
  fake: FakeJira,
  credentials: OAuth2Credentials,
  options: { metadata?: Record<string, unknown>; config?: { site?: string } } = {},
) {
  return sdkContextFor<{ site?: string }>(jiraConnector, { credentials, rewrite: fake.rewrite, ...options });
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

  it('requests the Jira scopes plus offline_access, also when a deployment narrows them', () => {
    const client = createOAuth2Client(jiraConnector, {
      client: { clientId: 'app-1', clientSecret: 's' },
      config: {},
    });
    const url = new URL(client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 'state-1' }));
    expect(url.searchParams.get('scope')).toBe('read:jira-work read:jira-user offline_access');
    const narrowed = new URL(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT_URI, state: 's', scopes: SCOPES }),
    );
    expect(narrowed.searchParams.get('scope')).toBe('read:jira-work read:jira-user offline_access');
    // create_issue's scope is one a deployment may add.
    const writing = new URL(
      client.buildAuthorizeUrl({
        redirectUri: REDIRECT_URI,
        state: 's',
        scopes: [...SCOPES, 'write:jira-work'],
      }),
    );
    expect(writing.searchParams.get('scope')).toBe(
      'read:jira-work read:jira-user write:jira-work offline_access',
    );
    expect(client.descriptor.scopes.optional).toEqual(['write:jira-work']);
  });

  it('check reads the user from /myself on the resolved site and persists its cloud id and URL', async () => {
    const result = await jiraConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials));
    expect(result.identity).toEqual({
      accountId: fake.user.accountId,
      displayName: 'Mia Krystof',
      email: 'mia.krystof@example.com',
      workspace: 'acme',
      site: 'https://acme.atlassian.net',
    });
    expect(result.metadata).toMatchObject({ cloudId: acme.id, siteUrl: acme.url });
    const paths = fake.requests.slice(-2).map((request) => request.path);
    expect(paths).toEqual(['/oauth/token/accessible-resources', `/ex/jira/${acme.id}/rest/api/3/myself`]);
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
    // The enhanced search refuses unbounded JQL: the sample's query carries a restriction.
    expect(calls[0]?.query).toMatchObject({ jql: 'updated >= -90d ORDER BY updated DESC', maxResults: '3' });
  });

  it('declares the API at api.atlassian.com/ex/jira/{cloudId}, filled from what check stored', async () => {
    expect(jiraConnector.api?.baseUrl).toBe('https://api.atlassian.com/ex/jira/{cloudId}');
    const checked = await jiraConnector.check(contextFor(fake, fake.issueTokensDirectly().credentials));
    expect(resolveApiBaseUrl(jiraConnector, { config: {}, metadata: checked.metadata ?? {} })).toBe(
      `https://api.atlassian.com/ex/jira/${acme.id}`,
    );
  });

  it('sends rest/api/3/myself through the API client to Jira with the Bearer token, and only with it', async () => {
    const { credentials } = fake.issueTokensDirectly();
    const api = createApiClient(jiraConnector, {
      config: {},
      metadata: siteMetadata(globex),
      credentials,
      rewriteUrl: createOriginRewriter(fake.rewrite),
      retries: 0,
    });
    const me = await api.get<{ accountId: string }>('rest/api/3/myself');
    expect(me.body.accountId).toBe(fake.user.accountId);
    const request = lastRequestTo(fake, `/ex/jira/${globex.id}/rest/api/3/myself`);
    expect(request.headers['authorization']).toBe('Bearer [redacted]');
    const refused = await connectorErrorOf(api.get('rest/api/3/myself', { auth: false }));
    expect(refused.reason).toBe('auth');
  });
});

describe('jira connector quirks', () => {
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
