import { describeConformance } from '@cfm/connector-sdk/testing';
import { confluenceConnector } from './confluence-connector.js';
import { startFakeConfluence } from './testing/index.js';

const client = { clientId: 'confluence-client-id', clientSecret: 'confluence-client-secret' };

describeConformance({
  connector: confluenceConnector,
  client,
  startProvider: () => startFakeConfluence(client),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: false,
    pkce: false,
    scopeSeparator: ' ',
    requiredScopes: [
      'read:confluence-content.all',
      'read:confluence-space.summary',
      'search:confluence',
      'read:confluence-user',
      'offline_access',
    ],
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  },
  sampleLimit: 4,
});
