import { describeConformance } from '@cfm/connector-sdk/testing';
import connector, { SLACK_BOT_SCOPES } from './index.js';
import { client } from './test/slack-flow.js';
import { startFakeSlack } from './testing/index.js';

// Slack's default has no token rotation: no refresh tokens and tokens that never expire. With rotation on:
// `xoxe-` refresh tokens that rotate on every refresh.
for (const rotation of [false, true]) {
  describeConformance({
    connector,
    client,
    startProvider: () => startFakeSlack({ rotation }),
    expect: {
      rotatesRefreshTokens: rotation,
      issuesRefreshToken: rotation,
      hasRevoke: true,
      pkce: false,
      scopeSeparator: ',',
      requiredScopes: SLACK_BOT_SCOPES,
    },
  });
}
