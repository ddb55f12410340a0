import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraActionContext } from '../test/jira-action-context.js';
import { type FakeJira, fakeSite, startFakeJira } from '../testing/index.js';
import { searchIssues } from './search-issues.js';

describe('jira action search_issues against the fake Jira', () => {
  let fake: FakeJira;

  beforeAll(async () => {
    fake = await startFakeJira();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('returns the matching issues with status, assignee, update time and browse link', async () => {
    const site = fake.sites[0]!;
    const output = await searchIssues.run(jiraActionContext(fake), {
      jql: 'project = DEMO AND status = "Done" ORDER BY updated DESC',
      limit: 3,
    });
    expect(output.issues.map((issue) => issue.key)).toEqual(['DEMO-30', 'DEMO-27', 'DEMO-24']);
    expect(output.issues[0]).toEqual({
      key: 'DEMO-30',
      id: '10029',
      summary: 'Demo issue 30',
      status: 'Done',
      assignee: { account_id: fake.user.accountId, display_name: 'Mia Krystof' },
      updated: fake.issues[29]?.updated,
      url: 'https://acme.atlassian.net/browse/DEMO-30',
    });
    const request = lastRequestTo(fake, `/ex/jira/${site.id}/rest/api/3/search/jql`);
    expect(request.query).toMatchObject({ maxResults: '3', fields: 'summary,status,assignee,updated' });
    expect(request.query['nextPageToken']).toBeUndefined();
    expect(request.headers['authorization']).toBe('Bearer [redacted]');
  });

  it('pages with next_cursor until the last page, which has none', async () => {
    const context = jiraActionContext(fake);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchIssues.run(context, {
        jql: 'project = DEMO ORDER BY created ASC',
        limit: 12,
        ...(cursor !== undefined && { cursor }),
      });
      seen.push(...page.issues.map((issue) => issue.key));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(seen.slice(0, 2)).toEqual(['DEMO-1', 'DEMO-2']);
  });

  it('returns the extra fields asked for under `fields`', async () => {
    const output = await searchIssues.run(jiraActionContext(fake), {
      jql: 'key = DEMO-3',
      fields: ['priority', 'labels'],
    });
    expect(output.issues).toHaveLength(1);
    expect(output.issues[0]?.fields).toEqual({ priority: { name: 'Medium' }, labels: ['backend'] });
    expect(lastRequestTo(fake, `/ex/jira/${fake.sites[0]!.id}/rest/api/3/search/jql`).query['fields']).toBe(
      'summary,status,assignee,updated,priority,labels',
    );
  });

  it.each([
    ['an unbounded query', 'ORDER BY updated DESC', 'Unbounded JQL queries are not allowed here'],
    ['an unknown field', 'sprintz = 4', "Field 'sprintz' does not exist"],
  ])(
    'maps Jira refusing %s (400 errorMessages) to reason "config" with its message',
    async (_label, jql, text) => {
      const error = await connectorErrorOf(searchIssues.run(jiraActionContext(fake), { jql }));
      expect(error).toMatchObject({ reason: 'config', status: 400, retryable: false });
      expect(error.message).toContain('Jira issue search was refused');
      expect(error.message).toContain(text);
    },
  );

  it('refuses a cursor Jira did not issue as a config error', async () => {
    const error = await connectorErrorOf(
      searchIssues.run(jiraActionContext(fake), { jql: 'project = DEMO', cursor: 'not-a-page-token' }),
    );
    expect(error).toMatchObject({ reason: 'config', status: 400 });
  });

  it('reports a revoked token as reason "auth" without the token in the message', async () => {
    const context = jiraActionContext(fake);
    const token = context.credentials.type === 'oauth2' ? context.credentials.accessToken : '';
    fake.revokeToken(token);
    const error = await connectorErrorOf(searchIssues.run(context, { jql: 'project = DEMO' }));
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
    expect(error.message).not.toContain(token);
  });

  it('reports a site the grant no longer covers (gateway 404) as a config error saying so', async () => {
    const gone = fakeSite('initech', []);
    const error = await connectorErrorOf(
      searchIssues.run(jiraActionContext(fake, { site: gone }), { jql: 'project = DEMO' }),
    );
    expect(error).toMatchObject({ reason: 'config', status: 404 });
    expect(error.message).toMatch(/site is not covered by this grant/);
  });

  it('surfaces a 429 as reason "rate_limited" with the Retry-After as retryAfterMs', async () => {
    fake.rateLimitNext(1, { 'Retry-After': '30' });
    const error = await connectorErrorOf(
      searchIssues.run(jiraActionContext(fake), { jql: 'project = DEMO' }),
    );
    expect(error).toMatchObject({
      reason: 'rate_limited',
      status: 429,
      retryable: true,
      retryAfterMs: 30_000,
    });
  });
});

describe('jira action search_issues on a deployment without search/jql', () => {
  it('falls back to the legacy search and pages it with its own cursor', async () => {
    const fake = await startFakeJira({ searchJql: false });
    try {
      const context = jiraActionContext(fake);
      const first = await searchIssues.run(context, { jql: 'project = DEMO ORDER BY key ASC', limit: 20 });
      expect(first.issues.map((issue) => issue.key).slice(0, 2)).toEqual(['DEMO-1', 'DEMO-2']);
      expect(first.next_cursor).toBe('legacy:20');
      const second = await searchIssues.run(context, {
        jql: 'project = DEMO ORDER BY key ASC',
        limit: 20,
        cursor: first.next_cursor!,
      });
      expect(second.issues.map((issue) => issue.key)).toEqual(
        Array.from({ length: 10 }, (_, index) => `DEMO-${index + 21}`),
      );
      expect(second.next_cursor).toBeUndefined();
      const site = fake.sites[0]!;
      expect(lastRequestTo(fake, `/ex/jira/${site.id}/rest/api/3/search`).query['startAt']).toBe('20');
    } finally {
      await fake.close();
    }
  });
});
