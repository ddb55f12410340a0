import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { checkManifest, SDK_PACKAGE_NAME } from '../manifest.js';
import type { ConnectorManifest } from '../types.js';
import { MANIFEST_KEYWORD } from '../types.js';

/**
 * Asserts (with vitest's `expect`) that a connector package's `package.json` is loadable: a valid
 * `cfmConnector` manifest compatible with this SDK, the `cfm-connector` keyword, and the SDK as a
 * peer dependency only. Returns the manifest.
 *
 * @example
 * ```ts
 * it('has a loadable manifest', async () => {
 *   await checkPackageManifest(new URL('../package.json', import.meta.url).pathname);
 * });
 * ```
 */
export async function checkPackageManifest(packageJsonPath: string): Promise<ConnectorManifest> {
  const packageJson = JSON.parse(await readFile(packageJsonPath, 'utf8')) as Record<string, unknown>;
  const result = checkManifest(packageJson);
  if (!result.ok) expect.fail(`${packageJsonPath}: ${result.status}: ${result.reason}`);
  expect(packageJson['keywords'], `keywords must include "${MANIFEST_KEYWORD}"`).toContain(MANIFEST_KEYWORD);
  const peers = (packageJson['peerDependencies'] ?? {}) as Record<string, unknown>;
  expect(peers[SDK_PACKAGE_NAME], `${SDK_PACKAGE_NAME} must be a peer dependency`).toBeTypeOf('string');
  const dependencies = (packageJson['dependencies'] ?? {}) as Record<string, unknown>;
  expect(
    dependencies[SDK_PACKAGE_NAME],
    `${SDK_PACKAGE_NAME} must not be a regular dependency (two copies of the SDK would disagree)`,
  ).toBeUndefined();
  return result.manifest;
}
