import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MANIFEST_FIELD } from '@cfm/connector-sdk';

/** Where a candidate package came from (for the log line). */
export type PackageOrigin = 'dependency' | 'CONNECTOR_PACKAGES' | 'CONNECTORS_DIR';

export interface PackageCandidate {
  name: string;
  origin: PackageOrigin;
  /** Real path of the package folder; undefined when it could not be found. */
  directory?: string;
  /** The parsed package.json; undefined when missing or unreadable (`problem` says why). */
  packageJson?: Record<string, unknown>;
  problem?: string;
}

export interface FindConnectorPackagesOptions {
  /** The server package folder (holds the package.json whose dependencies are scanned). */
  serverDirectory: string;
  /** `CONNECTOR_PACKAGES`: named packages, resolved from `connectorsDir` when set, else from the server. */
  connectorPackages: readonly string[];
  /** `CONNECTORS_DIR`: an npm prefix whose `node_modules` is scanned for connector packages. */
  connectorsDir?: string | undefined;
}

const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readPackageJson(directory: string): Promise<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8'));
  if (!isRecord(parsed)) throw new Error('package.json is not a JSON object');
  return parsed;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Node's lookup for a bare package name: `node_modules/<name>` in `from` and each parent folder. */
async function locatePackage(name: string, from: string): Promise<string | undefined> {
  let current = from;
  for (;;) {
    const candidate = join(current, 'node_modules', name);
    if (await isDirectory(candidate)) return realpath(candidate);
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

async function describe(
  name: string,
  origin: PackageOrigin,
  directory: string | undefined,
): Promise<PackageCandidate> {
  if (directory === undefined) return { name, origin, problem: `${name} is not installed` };
  try {
    return { name, origin, directory, packageJson: await readPackageJson(directory) };
  } catch (error) {
    return {
      name,
      origin,
      directory,
      problem: `${name}: cannot read package.json (${(error as Error).message})`,
    };
  }
}

/** Package folder names under a `node_modules`, scopes expanded (`@acme/connector-x`). */
async function listInstalled(nodeModules: string): Promise<string[]> {
  if (!(await isDirectory(nodeModules))) return [];
  const names: string[] = [];
  for (const entry of (await readdir(nodeModules)).sort()) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      const scoped = join(nodeModules, entry);
      if (!(await isDirectory(scoped))) continue;
      for (const inner of (await readdir(scoped)).sort()) {
        if (!inner.startsWith('.')) names.push(`${entry}/${inner}`);
      }
    } else {
      names.push(entry);
    }
  }
  return names;
}

/**
 * Every package that may be a connector, in a stable order: the server's own dependencies carrying the
 * `cfmConnector` manifest field, then the packages named in `CONNECTOR_PACKAGES` (kept even without the
 * field, so a typo is reported rather than ignored), then those installed under `CONNECTORS_DIR` with
 * the field. A name seen twice is kept once (the first wins).
 */
export async function findConnectorPackages(
  options: FindConnectorPackagesOptions,
): Promise<PackageCandidate[]> {
  const found = new Map<string, PackageCandidate>();
  const add = (candidate: PackageCandidate) => {
    if (!found.has(candidate.name)) found.set(candidate.name, candidate);
  };
  const hasManifest = (candidate: PackageCandidate) => isRecord(candidate.packageJson?.[MANIFEST_FIELD]);

  const server = await readPackageJson(options.serverDirectory);
  const dependencies = {
    ...(isRecord(server['optionalDependencies']) ? server['optionalDependencies'] : {}),
    ...(isRecord(server['dependencies']) ? server['dependencies'] : {}),
  };
  for (const name of Object.keys(dependencies).sort()) {
    const candidate = await describe(name, 'dependency', await locatePackage(name, options.serverDirectory));
    if (hasManifest(candidate)) add(candidate);
  }

  const listedFrom = options.connectorsDir ?? options.serverDirectory;
  for (const name of options.connectorPackages) {
    if (!PACKAGE_NAME.test(name)) {
      add({ name, origin: 'CONNECTOR_PACKAGES', problem: `"${name}" is not a valid package name` });
      continue;
    }
    add(await describe(name, 'CONNECTOR_PACKAGES', await locatePackage(name, listedFrom)));
  }

  if (options.connectorsDir !== undefined) {
    const nodeModules = join(options.connectorsDir, 'node_modules');
    for (const name of await listInstalled(nodeModules)) {
      const candidate = await describe(
        name,
        'CONNECTORS_DIR',
        await locatePackage(name, options.connectorsDir),
      );
      // This folder is meant for connectors: an unreadable package.json is reported, not skipped.
      if (hasManifest(candidate) || candidate.problem !== undefined) add(candidate);
    }
  }
  return [...found.values()];
}
