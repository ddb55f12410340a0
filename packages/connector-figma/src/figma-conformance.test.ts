import { describeConformance } from '@cfm/connector-sdk/testing';
import { FIGMA_SCOPES, figmaConnector } from './index.js';
import { client } from './test/figma-flow.js';
import { startFakeFigma } from './testing/index.js';

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
    ...variant,
  });
}
