import { describeConformance } from '@cfm/connector-sdk/testing';
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
});
