import { describeConformance } from '@cfm/connector-sdk/testing';
import connector, { SLACK_BOT_SCOPES } from './index.js';
import { startFakeSlack } from './testing/index.js';

const client = { clientId: 'fake-client-id', clientSecret: 'fake-client-secret' };

// Slack's default: no token rotation, so no refresh tokens and tokens that never expire.
describeConformance({
  connector,
  client,
  startProvider: () => startFakeSlack({ rotation: false }),
  expect: {
    rotatesRefreshTokens: false,
    issuesRefreshToken: false,
    hasRevoke: true,
    pkce: false,
    scopeSeparator: ',',
    requiredScopes: SLACK_BOT_SCOPES,
  },
});

// With token rotation on: `xoxe-` refresh tokens that rotate on every refresh.
describeConformance({
  connector,
  client,
  startProvider: () => startFakeSlack({ rotation: true }),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: true,
    pkce: false,
    scopeSeparator: ',',
    requiredScopes: SLACK_BOT_SCOPES,
  },
});
