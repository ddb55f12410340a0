import { describeConformance } from '@cfm/connector-sdk/testing';
import { FIGMA_SCOPES, figmaConnector } from './index.js';
import { startFakeFigma } from './testing/index.js';

const client = { clientId: 'figma-client-id', clientSecret: 'figma-client-secret' };

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
});

describeConformance({
  connector: figmaConnector,
  client,
  config: { teamId: '987654321' },
  sampleLimit: 5,
  startProvider: () => startFakeFigma(client),
  expect: {
    rotatesRefreshTokens: false,
    refreshKeepsOldRefreshToken: true,
    hasRevoke: false,
    pkce: true,
    requiredScopes: FIGMA_SCOPES,
  },
});
