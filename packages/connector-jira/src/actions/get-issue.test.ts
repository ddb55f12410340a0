import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraActionContext } from '../test/jira-action-context.js';
import { type FakeJira, startFakeJira } from '../testing/index.js';
import { getIssue } from './get-issue.js';

describe('jira action get_issue against the fake Jira', () => {
  let fake: FakeJira;

  beforeAll(async () => {
    fake = await startFakeJira();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('reads the issue with its ADF description as plain text', async () => {
    const source = fake.issues[1]!;
    const output = await getIssue.run(jiraActionContext(fake), { issue_key: 'DEMO-2' });
    expect(output).toEqual({
      key: 'DEMO-2',
      id: '10001',
      summary: 'Demo issue 2',
      description: 'Steps for demo issue 2.\n\nExpected: it works.',
      status: 'In Progress',
      assignee: { account_id: fake.user.accountId, display_name: 'Mia Krystof' },
      reporter: { account_id: fake.user.accountId, display_name: 'Mia Krystof' },
      created: source.created,
      updated: source.updated,
      url: 'https://acme.atlassian.net/browse/DEMO-2',
    });
    const request = lastRequestTo(fake, `/ex/jira/${fake.sites[0]!.id}/rest/api/3/issue/DEMO-2`);
    expect(request.query['fields']).toBe('summary,description,status,assignee,reporter,created,updated');
  });

  it('gives a null url when the connection has not stored its site URL', async () => {
    const context = jiraActionContext(fake, { metadata: { cloudId: fake.sites[0]!.id } });
    const output = await getIssue.run(context, { issue_key: '10000' });
    expect(output.key).toBe('DEMO-1');
    expect(output.assignee).toBeNull();
    expect(output.url).toBeNull();
  });

  it('reports an issue Jira does not know (404) as a config error naming the key', async () => {
    const error = await connectorErrorOf(getIssue.run(jiraActionContext(fake), { issue_key: 'DEMO-999' }));
    expect(error).toMatchObject({ reason: 'config', status: 404, retryable: false });
    expect(error.message).toBe('Jira issue "DEMO-999" does not exist or this account cannot see it');
  });

  it('reports an unknown token as reason "auth"', async () => {
    const error = await connectorErrorOf(
      getIssue.run(jiraActionContext(fake, { accessToken: 'fake-at-unknown' }), { issue_key: 'DEMO-1' }),
    );
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
    expect(error.message).not.toContain('fake-at-unknown');
  });

  it('waits out a short Retry-After, and reports a long one as rate_limited with retryAfterMs', async () => {
    fake.rateLimitNext(1, { 'Retry-After': '1' });
    const retried = await getIssue.run(jiraActionContext(fake, { retries: 1 }), { issue_key: 'DEMO-3' });
    expect(retried.key).toBe('DEMO-3');
    const reset = new Date(Date.now() + 120_000).toISOString();
    fake.rateLimitNext(1, { 'X-RateLimit-Reset': reset });
    const error = await connectorErrorOf(
      getIssue.run(jiraActionContext(fake, { retries: 1 }), { issue_key: 'DEMO-3' }),
    );
    expect(error).toMatchObject({ reason: 'rate_limited', status: 429, retryable: true });
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
  });
});
