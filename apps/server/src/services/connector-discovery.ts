import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ConnectorDefinition,
  checkManifest,
  isConnectorDefinition,
  type Logger,
  resolveConnectorExport,
  SDK_VERSION,
  validateConnectorDefinition,
} from '@cfm/connector-sdk';
import {
  type FindConnectorPackagesOptions,
  findConnectorPackages,
  type PackageCandidate,
} from './connector-package-finder.js';

export interface LoadedConnector {
  status: 'loaded';
  key: string;
  packageName: string;
  version: string | null;
  definition: ConnectorDefinition;
}

export interface FailedConnector {
  status: 'failed' | 'incompatible';
  /** The definition's key when it was known, else a slug of the package name. */
  key: string;
  packageName: string;
  version: string | null;
  reason: string;
}

export type DiscoveredConnector = LoadedConnector | FailedConnector;

export interface DiscoverConnectorsOptions extends FindConnectorPackagesOptions {
  logger: Logger;
  /** The SDK version packages are checked against; default the running SDK's. */
  sdkVersion?: string;
  /** How long one package may take to import before it is reported as failed. Default 10 s. */
  importTimeoutMs?: number;
}

const DEFAULT_IMPORT_TIMEOUT_MS = 10_000;

/**
 * An import cannot be cancelled, but start-up need not wait for it: a package whose module never settles
 * (a top-level await on something that never comes) is reported as failed and the others load.
 */
async function importBounded(url: string, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([import(url), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A key-like id for a package that failed before its key was known: `@acme/connector-x` → `acme-connector-x`. */
export function packageSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return /^[a-z]/.test(slug) ? slug : `pkg-${slug}`;
}

const MAX_REASON = 500;

/** The first line of a thrown value's message, bounded: enough to act on, never a whole stack. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const line = text.split('\n')[0] ?? text;
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line;
}

async function loadCandidate(
  candidate: PackageCandidate,
  sdkVersion: string,
  importTimeoutMs: number,
): Promise<DiscoveredConnector> {
  const { name } = candidate;
  const version =
    typeof candidate.packageJson?.['version'] === 'string' ? candidate.packageJson['version'] : null;
  const failed = (reason: string, status: FailedConnector['status'] = 'failed'): FailedConnector => ({
    status,
    key: packageSlug(name),
    packageName: name,
    version,
    reason,
  });
  if (
    candidate.problem !== undefined ||
    candidate.directory === undefined ||
    candidate.packageJson === undefined
  ) {
    return failed(candidate.problem ?? `${name} cannot be read`);
  }
  const manifest = checkManifest(candidate.packageJson, sdkVersion);
  if (!manifest.ok) return failed(manifest.reason, manifest.status);

  let namespace: unknown;
  try {
    namespace = await importBounded(
      pathToFileURL(join(candidate.directory, manifest.manifest.entry)).href,
      importTimeoutMs,
    );
  } catch (error) {
    return failed(`${name}: importing ${manifest.manifest.entry} failed: ${firstLine(error)}`);
  }
  const exported = resolveConnectorExport(namespace);
  if (exported === undefined) {
    return failed(`${name}: ${manifest.manifest.entry} has no default or "connector" export`);
  }
  if (!isConnectorDefinition(exported)) {
    return failed(
      `${name}: the exported connector was not created by defineConnector from @cfm/connector-sdk`,
    );
  }
  const validation = validateConnectorDefinition(exported);
  if (!validation.ok) return failed(`${name}: invalid connector definition: ${validation.errors.join('; ')}`);
  return { status: 'loaded', key: exported.key, packageName: name, version, definition: exported };
}

/**
 * Finds and loads every connector package. Nothing here throws for a bad package: each one that cannot
 * be used (incompatible, malformed, throwing at import, duplicate key) is logged as a warning and
 * returned with its status and reason, so one broken package never takes the server down.
 * Of two packages with the same key the first found keeps it; the second is reported.
 */
export async function discoverConnectors(options: DiscoverConnectorsOptions): Promise<DiscoveredConnector[]> {
  const sdkVersion = options.sdkVersion ?? SDK_VERSION;
  const importTimeout = options.importTimeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS;
  const candidates = await findConnectorPackages(options);
  const results: DiscoveredConnector[] = [];
  const owners = new Map<string, string>();
  for (const candidate of candidates) {
    let result = await loadCandidate(candidate, sdkVersion, importTimeout);
    const owner = owners.get(result.key);
    if (owner !== undefined) {
      const reason =
        result.status === 'loaded'
          ? `${result.packageName}: connector key "${result.key}" is already provided by ${owner}`
          : result.reason;
      // A second entry must not share the listing key of the first.
      result = {
        status: 'failed',
        key: uniqueKey(packageSlug(result.packageName), owners),
        packageName: result.packageName,
        version: result.version,
        reason,
      };
    }
    owners.set(result.key, result.packageName);
    if (result.status === 'loaded') {
      options.logger.info('connector loaded', {
        key: result.key,
        package: result.packageName,
        version: result.version,
      });
    } else {
      options.logger.warn(`connector package not loaded: ${result.reason}`, {
        key: result.key,
        package: result.packageName,
        status: result.status,
        origin: candidate.origin,
      });
    }
    results.push(result);
  }
  return results;
}

function uniqueKey(base: string, taken: ReadonlyMap<string, string>): string {
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const key = `${base.slice(0, 60)}-${suffix}`;
    if (!taken.has(key)) return key;
  }
}
