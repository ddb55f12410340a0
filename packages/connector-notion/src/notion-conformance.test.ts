import { describeConformance } from '@cfm/connector-sdk/testing';
import connector from './index.js';
import { startFakeNotion } from './testing/index.js';

describeConformance({
  connector,
  client: { clientId: 'fake-client-id', clientSecret: 'fake-client-secret' },
  startProvider: () => startFakeNotion(),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: true,
    pkce: false,
    requiredScopes: [],
    authorizeParams: { owner: 'user', response_type: 'code' },
  },
});
