import { resolve } from 'node:path';
import { describePackedConnector } from '@cfm/connector-sdk/testing';

// What a third party does: install the packed tarballs into an empty project and import the connector.
describePackedConnector({
  packageDirectory: resolve(import.meta.dirname, '..'),
  // `pnpm test` builds every package first; rebuilding here would empty dist/ under suites running in parallel.
  build: false,
  expect: { key: 'datadog', sdkPeerRange: '^0.1.0' },
});
