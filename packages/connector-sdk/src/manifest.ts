import { createRequire } from 'node:module';
import semver from 'semver';
import { isRecord } from './is-record.js';
import type { ConnectorManifest } from './types.js';
import { CONTRACT_VERSION, MANIFEST_FIELD } from './types.js';
import { isConnectorDefinition } from './validate-connector-definition.js';

export const SDK_PACKAGE_NAME = '@cfm/connector-sdk';

// Read at runtime (from src/ in tests and dist/ once built: both sit one level below the package root),
// so the version can never drift from package.json.
const ownPackage = createRequire(import.meta.url)('../package.json') as { version: string };

/** The version of this SDK, from its own package.json. */
export const SDK_VERSION: string = ownPackage.version;

export type ManifestCheck =
  | { ok: true; manifest: ConnectorManifest }
  | { ok: false; status: 'incompatible' | 'failed'; reason: string };

/**
 * Decides whether a connector package can be loaded by this SDK version, from its package.json:
 * a well-formed `cfmConnector` field (else `failed`), the same contract version and a peer
 * dependency range on `@cfm/connector-sdk` that `sdkVersion` satisfies (else `incompatible`).
 * `workspace:` ranges (pnpm monorepos) are accepted: `workspace:*`, `^` and `~` mean "this copy".
 *
 * @example
 * ```ts
 * const result = checkManifest(JSON.parse(await readFile(path, 'utf8')));
 * if (!result.ok) logger.warn(`skipping connector: ${result.reason}`);
 * ```
 */
export function checkManifest(packageJson: unknown, sdkVersion: string = SDK_VERSION): ManifestCheck {
  if (!isRecord(packageJson)) return { ok: false, status: 'failed', reason: 'package.json is not an object' };
  const name = typeof packageJson['name'] === 'string' ? packageJson['name'] : 'the package';
  const field = packageJson[MANIFEST_FIELD];
  if (!isRecord(field)) {
    return {
      ok: false,
      status: 'failed',
      reason: `${name} has no "${MANIFEST_FIELD}" object in package.json`,
    };
  }
  const { contractVersion, entry } = field;
  if (typeof contractVersion !== 'number' || !Number.isInteger(contractVersion)) {
    return {
      ok: false,
      status: 'failed',
      reason: `${name}: ${MANIFEST_FIELD}.contractVersion must be an integer`,
    };
  }
  if (typeof entry !== 'string' || entry.trim() === '') {
    return { ok: false, status: 'failed', reason: `${name}: ${MANIFEST_FIELD}.entry must be a module path` };
  }
  if (entry.startsWith('/') || /^[a-zA-Z]:/.test(entry) || entry.split(/[\\/]/).includes('..')) {
    return {
      ok: false,
      status: 'failed',
      reason: `${name}: ${MANIFEST_FIELD}.entry must stay inside the package`,
    };
  }
  if (contractVersion !== CONTRACT_VERSION) {
    return {
      ok: false,
      status: 'incompatible',
      reason: `${name} was built for connector contract version ${contractVersion}; this SDK implements ${CONTRACT_VERSION}`,
    };
  }
  const peers = packageJson['peerDependencies'];
  const range = isRecord(peers) ? peers[SDK_PACKAGE_NAME] : undefined;
  if (typeof range !== 'string' || range.trim() === '') {
    return {
      ok: false,
      status: 'incompatible',
      reason: `${name} does not declare ${SDK_PACKAGE_NAME} as a peer dependency`,
    };
  }
  if (!rangeAccepts(range.trim(), sdkVersion)) {
    return {
      ok: false,
      status: 'incompatible',
      reason: `${name} requires ${SDK_PACKAGE_NAME}@${range}, but this is ${SDK_PACKAGE_NAME}@${sdkVersion}`,
    };
  }
  return { ok: true, manifest: { contractVersion, entry } };
}

function rangeAccepts(range: string, version: string): boolean {
  if (range.startsWith('workspace:')) {
    const rest = range.slice('workspace:'.length);
    if (rest === '*' || rest === '^' || rest === '~') return true;
    return rangeAccepts(rest, version);
  }
  if (semver.validRange(range) === null) return false;
  return semver.satisfies(version, range, { includePrerelease: true });
}

/**
 * Picks the connector definition out of an imported entry module: its `default` export, else its
 * `connector` export (also looking one level into a CommonJS `default`). Returns undefined when
 * neither exists; pass the result to `validateConnectorDefinition`.
 */
export function resolveConnectorExport(moduleNamespace: unknown): unknown {
  if (!isRecord(moduleNamespace)) return undefined;
  const candidates: unknown[] = [moduleNamespace['default'], moduleNamespace['connector']];
  const inner = moduleNamespace['default'];
  if (isRecord(inner)) candidates.push(inner['default'], inner['connector']);
  return candidates.find(isConnectorDefinition) ?? candidates.find((candidate) => candidate !== undefined);
}
