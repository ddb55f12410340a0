import { describeConformance } from '@cfm/connector-sdk/testing';
import connector from './index.js';
import { client } from './test/notion-flow.js';
import { startFakeNotion } from './testing/index.js';

describeConformance({
  connector,
  client,
  startProvider: () => startFakeNotion(),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: true,
    pkce: false,
    requiredScopes: [],
    authorizeParams: { owner: 'user', response_type: 'code' },
  },
});
