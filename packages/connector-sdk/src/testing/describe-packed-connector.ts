import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_PACKAGE_NAME } from '../manifest.js';
import { CONTRACT_VERSION } from '../types.js';
import type { PackAndInstallOptions } from './pack-connector.js';
import {
  DEFAULT_PACK_TIMEOUT_MS,
  type InstalledConnector,
  packAndInstallConnector,
} from './pack-connector.js';

export interface PackedConnectorExpectations {
  /** The connector's `key`. */
  key: string;
  /** The `@cfm/connector-sdk` range in the published `peerDependencies`, e.g. `^0.1.0`. */
  sdkPeerRange: string;
  /** The published `exports` subpaths, in order; not checked when absent. */
  exports?: string[];
  /** The published `dependencies` (workspace ranges must have become registry ranges); not checked when absent. */
  dependencies?: Record<string, string>;
}

export interface DescribePackedConnectorOptions extends PackAndInstallOptions {
  expect: PackedConnectorExpectations;
}

/**
 * Registers a vitest suite that packs and installs your connector with {@link packAndInstallConnector} and
 * asserts that, imported by name from a separate install, it is a valid connector definition made by the
 * installed SDK, the same object as its `connector` named export, with a loadable manifest, the expected
 * key, SDK peer range and (optionally) export map.
 *
 * @example
 * ```ts
 * // test/pack.e2e.test.ts
 * describePackedConnector({
 *   packageDirectory: resolve(import.meta.dirname, '..'),
 *   expect: { key: 'acme', sdkPeerRange: '^0.1.0', exports: ['.', './package.json'] },
 * });
 * ```
 */
export function describePackedConnector(options: DescribePackedConnectorOptions): void {
  const { key, sdkPeerRange, exports, dependencies } = options.expect;

  describe(`connector "${key}" as a packed tarball`, () => {
    let installed: InstalledConnector | undefined;

    // The pack step bounds itself; the hook gets a minute more so the step's own error is the one reported.
    beforeAll(
      async () => {
        installed = await packAndInstallConnector(options);
      },
      (options.timeoutMs ?? DEFAULT_PACK_TIMEOUT_MS) + 60_000,
    );
    afterAll(async () => {
      await installed?.cleanup();
    });

    it('imports as a valid connector with the right key, manifest and peer range', async () => {
      if (!installed) throw new Error('the pack step did not finish');
      const { definition, packageJson } = await installed.importConnector();
      const peers = (packageJson['peerDependencies'] ?? {}) as Record<string, unknown>;
      expect({
        ...definition,
        sdkPeerRange: peers[SDK_PACKAGE_NAME],
        ...(exports && { exports: Object.keys((packageJson['exports'] ?? {}) as object) }),
        ...(dependencies && { dependencies: packageJson['dependencies'] }),
      }).toEqual({
        key,
        contractVersion: CONTRACT_VERSION,
        branded: true,
        matchesNamedExport: true,
        validation: { ok: true },
        manifest: { ok: true },
        sdkPeerRange,
        ...(exports && { exports }),
        ...(dependencies && { dependencies }),
      });
    });
  });
}
