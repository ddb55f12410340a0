import { resolve } from 'node:path';
import { describePackedConnector } from '@cfm/connector-sdk/testing';

const PACKAGE_DIRECTORY = resolve(import.meta.dirname, '..');

// What a third party does: install the packed tarballs into an empty project and import the connector.
// A published connector depends on @cfm/atlassian-common: it is packed and installed alongside, as npm would
// fetch it, and the workspace range must have become a registry range.
describePackedConnector({
  packageDirectory: PACKAGE_DIRECTORY,
  // `pnpm test` builds every package first; rebuilding here would empty dist/ under suites running in parallel.
  build: false,
  extraPackageDirectories: [resolve(PACKAGE_DIRECTORY, '../atlassian-common')],
  expect: {
    key: 'jira',
    sdkPeerRange: '^0.1.0',
    exports: ['.', './testing', './package.json'],
    dependencies: { '@cfm/atlassian-common': '^0.1.0' },
  },
});
