import { connectorErrorOf, lastRequestTo } from '@cfm/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraActionContext, WRITE_SCOPES } from '../test/jira-action-context.js';
import { type FakeJira, startFakeJira } from '../testing/index.js';
import { createIssue } from './create-issue.js';
import { getIssue } from './get-issue.js';

describe('jira action create_issue against the fake Jira', () => {
  let fake: FakeJira;
  const writer = () => jiraActionContext(fake, { scopes: WRITE_SCOPES });
  const createPath = () => `/ex/jira/${fake.sites[0]!.id}/rest/api/3/issue`;

  beforeAll(async () => {
    fake = await startFakeJira();
  });
  afterAll(async () => {
    fake.rateLimitNext(0);
    await fake.close();
  });

  it('is declared as changing something at the provider', () => {
    expect(createIssue.readOnly).toBe(false);
  });

  it('creates the issue as a Task with the description sent as ADF, and reads it back as text', async () => {
    const description = 'The login page answers 500.\nSince 09:00.\n\nSee the logs.';
    const created = await createIssue.run(writer(), {
      project_key: 'DEMO',
      summary: 'Login is broken',
      description,
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^\d+$/),
      key: 'DEMO-31',
      url: 'https://acme.atlassian.net/browse/DEMO-31',
    });
    const sent = lastRequestTo(fake, createPath()).body as { fields: Record<string, unknown> };
    expect(sent.fields).toMatchObject({
      project: { key: 'DEMO' },
      summary: 'Login is broken',
      issuetype: { name: 'Task' },
    });
    expect(sent.fields['description']).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'The login page answers 500.' },
            { type: 'hardBreak' },
            { type: 'text', text: 'Since 09:00.' },
          ],
        },
        { type: 'paragraph', content: [{ type: 'text', text: 'See the logs.' }] },
      ],
    });
    const read = await getIssue.run(writer(), { issue_key: created.key });
    expect(read).toMatchObject({ summary: 'Login is broken', description, status: 'To Do' });
  });

  it.each([
    [
      'an unknown project',
      { project_key: 'NOPE', summary: 'x' },
      'project: Specify a valid project ID or key',
    ],
    [
      'an issue type the project lacks',
      { project_key: 'DEMO', summary: 'x', issue_type: 'Saga' },
      'issuetype: The issue type selected is invalid.',
    ],
  ])(
    'maps Jira refusing %s (400 errors) to reason "config" with the field message',
    async (_label, input, text) => {
      const before = fake.issues.length;
      const error = await connectorErrorOf(createIssue.run(writer(), input));
      expect(error).toMatchObject({ reason: 'config', status: 400 });
      expect(error.message).toContain(text);
      expect(fake.issues).toHaveLength(before);
    },
  );

  it('reports a grant without write:jira-work as reason "permission", not as a dead connection', async () => {
    const error = await connectorErrorOf(
      createIssue.run(jiraActionContext(fake), { project_key: 'DEMO', summary: 'No scope' }),
    );
    expect(error).toMatchObject({ reason: 'permission', status: 401 });
    expect(error.message).toMatch(/scope/);
  });

  it('reports an expired token as reason "auth" without the token in the message', async () => {
    const context = writer();
    fake.expireAccessTokens();
    const error = await connectorErrorOf(createIssue.run(context, { project_key: 'DEMO', summary: 'Late' }));
    expect(error).toMatchObject({ reason: 'auth', status: 401 });
    if (context.credentials.type === 'oauth2')
      expect(error.message).not.toContain(context.credentials.accessToken);
  });

  it('reports a site the grant no longer covers (404) as a config error', async () => {
    const context = jiraActionContext(fake, { scopes: WRITE_SCOPES, metadata: { cloudId: 'gone' } });
    const error = await connectorErrorOf(createIssue.run(context, { project_key: 'DEMO', summary: 'x' }));
    expect(error).toMatchObject({ reason: 'config', status: 404 });
  });

  it('does not retry a create on 429: it reports rate_limited with retryAfterMs', async () => {
    const before = fake.requests.length;
    fake.rateLimitNext(1, { 'Retry-After': '1' });
    const context = jiraActionContext(fake, { scopes: WRITE_SCOPES, retries: 2 });
    const error = await connectorErrorOf(createIssue.run(context, { project_key: 'DEMO', summary: 'Busy' }));
    expect(error).toMatchObject({ reason: 'rate_limited', status: 429, retryAfterMs: 1_000 });
    expect(fake.requests.length - before).toBe(1);
  });
});
