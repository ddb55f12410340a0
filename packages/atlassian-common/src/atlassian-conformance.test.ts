import { describeConformance } from '@cfm/connector-sdk/testing';
import { startFakeProbe } from './test/fake-probe.js';
import { probeConnector } from './test/probe-connector.js';

const client = { clientId: 'probe-client-id', clientSecret: 'probe-client-secret' };

// The shared descriptor and site selection pass the SDK's conformance kit on their own, before any product.
describeConformance({
  connector: probeConnector,
  client,
  startProvider: () => startFakeProbe(client),
  expect: {
    rotatesRefreshTokens: true,
    hasRevoke: false,
    pkce: false,
    scopeSeparator: ' ',
    requiredScopes: ['read:probe-work', 'read:probe-user', 'offline_access'],
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  },
  sampleLimit: 4,
  apiProbe: { path: 'myself' },
});
