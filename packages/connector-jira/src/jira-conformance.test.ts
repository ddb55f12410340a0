import { describeConformance } from '@cfm/connector-sdk/testing';
import { expect } from 'vitest';
import { jiraConnector } from './jira-connector.js';
import { startFakeJira } from './testing/index.js';

const client = { clientId: 'jira-client-id', clientSecret: 'jira-client-secret' };

describeConformance({
  connector: jiraConnector,
  client,
  startProvider: () => startFakeJira(client),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: false,
    pkce: false,
    scopeSeparator: ' ',
    requiredScopes: ['read:jira-work', 'read:jira-user', 'offline_access'],
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  },
  sampleLimit: 4,
  apiProbe: { path: 'rest/api/3/myself' },
  actions: {
    search_issues: {
      input: { jql: 'project = DEMO ORDER BY updated DESC', limit: 2 },
      check: (output) => {
        const { issues, next_cursor } = output as { issues: { key: string }[]; next_cursor?: string };
        expect(issues.map((issue) => issue.key)).toEqual(['DEMO-30', 'DEMO-29']);
        expect(next_cursor).toBeTypeOf('string');
      },
    },
    get_issue: {
      input: { issue_key: 'DEMO-1' },
      check: (output) => expect(output).toMatchObject({ key: 'DEMO-1', summary: 'Demo issue 1' }),
    },
    create_issue: {
      input: { project_key: 'DEMO', summary: 'Made by the conformance kit' },
      scopes: ['write:jira-work'],
      check: (output) => expect((output as { key: string }).key).toMatch(/^DEMO-\d+$/),
    },
  },
});
