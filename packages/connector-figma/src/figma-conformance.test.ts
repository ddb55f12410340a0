import { describeConformance } from '@cfm/connector-sdk/testing';
import { expect } from 'vitest';
import { FIGMA_SCOPES, figmaConnector } from './index.js';
import { client } from './test/figma-flow.js';
import { FAKE_FIGMA_FILE_KEY, startFakeFigma } from './testing/index.js';

const actions = {
  get_file: {
    input: { file_key: FAKE_FIGMA_FILE_KEY },
    check: (output: unknown) =>
      expect(output).toMatchObject({
        name: 'Design system',
        pages: [{ name: 'Cover' }, { name: 'Components' }],
      }),
  },
  list_comments: {
    input: { file_key: FAKE_FIGMA_FILE_KEY, limit: 2 },
    scopes: ['file_comments:read'],
    check(output: unknown) {
      expect(output).toMatchObject({ comments: [{ message: 'Comment 1' }, { message: 'Comment 2' }] });
      expect(output).toHaveProperty('next_cursor');
    },
  },
};

// Without a team the sample is the user's profile; with one, the team's projects.
for (const variant of [{}, { config: { teamId: '987654321' }, sampleLimit: 5 }]) {
  describeConformance({
    connector: figmaConnector,
    client,
    startProvider: () => startFakeFigma(client),
    expect: {
      rotatesRefreshTokens: false,
      refreshKeepsOldRefreshToken: true,
      hasRevoke: false,
      pkce: true,
      scopeSeparator: ' ',
      requiredScopes: FIGMA_SCOPES,
    },
    apiProbe: { path: '/v1/me' },
    actions,
    ...variant,
  });
}
