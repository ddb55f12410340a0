import { describeConformance } from '@cfm/connector-sdk/testing';
import { expect } from 'vitest';
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
    // Slack refuses with HTTP 200 and `ok: false`: only the body tells a success.
    apiProbe: { path: 'auth.test', check: (response) => expect(response.body).toMatchObject({ ok: true }) },
    actions: {
      list_channels: {
        input: { limit: 2 },
        check(output) {
          expect(output).toMatchObject({ channels: [{ name: 'general' }, { name: 'random' }] });
          expect(output).toHaveProperty('next_cursor');
        },
      },
      post_message: {
        input: { channel: 'C0000000001', text: 'Hello from the conformance kit' },
        scopes: ['chat:write'],
        check: (output) => expect(output).toMatchObject({ channel: 'C0000000001' }),
      },
    },
  });
}
