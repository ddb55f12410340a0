import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SDK_PACKAGE_NAME } from '../manifest.js';

const run = promisify(execFile);
export const DEFAULT_PACK_TIMEOUT_MS = 360_000;
const IMPORT_TIMEOUT_MS = 30_000;
// npm prints a lot on a cold cache; the default 1 MiB would fail the install for the wrong reason.
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface PackAndInstallOptions {
  /** The connector package's folder (the one holding its package.json). */
  packageDirectory: string;
  /** Other unpublished packages the connector depends on, packed and installed alongside it. */
  extraPackageDirectories?: readonly string[];
  /** Bounds building, packing and installing together (default 360 s). Each child process gets what is left. */
  timeoutMs?: number;
  /**
   * Runs `pnpm run build` first in the connector's folder and in each extra folder that has a `build` script
   * (default `true`), so the tarball never carries a stale `dist/`. The SDK itself is packed as it is installed.
   */
  build?: boolean;
}

/** What the installed package looks like from a separate Node process, as JSON. */
export interface PackedConnectorDefinition {
  /** The default export's `key`. */
  key: unknown;
  /** The default export's `contractVersion`. */
  contractVersion: unknown;
  /** `isConnectorDefinition(default export)`: it was made by `defineConnector` of the installed SDK. */
  branded: boolean;
  /** The named export `connector` is the same object as the default export. */
  matchesNamedExport: boolean;
  /** `validateConnectorDefinition(default export)`. */
  validation: { ok: true } | { ok: false; errors: string[] };
  /** `checkManifest(package.json, SDK_VERSION)` of the installed SDK, without the parsed manifest. */
  manifest: { ok: true } | { ok: false; status: string; reason: string };
}

export interface InstalledConnector {
  /** The fresh project folder the tarballs were installed into with npm. */
  directory: string;
  /** The connector package's name, as it was imported. */
  packageName: string;
  /** Imports the connector by name in a child `node` process run in `directory`, as a third party would. */
  importConnector(): Promise<{ definition: PackedConnectorDefinition; packageJson: Record<string, unknown> }>;
  /** Removes the temporary folder (tarballs and project). */
  cleanup(): Promise<void>;
}

/**
 * Packs the SDK, your connector and any extra packages with `pnpm pack`, installs the tarballs with
 * `npm install` into an empty project in a temporary folder, and lets you import the connector there by
 * name: the check that what you publish works once installed (files list, exports, peer dependency).
 * Needs `pnpm` and `npm` on the PATH.
 *
 * @example
 * ```ts
 * let installed: InstalledConnector;
 * beforeAll(async () => {
 *   installed = await packAndInstallConnector({ packageDirectory: resolve(import.meta.dirname, '..') });
 * }, 420_000);
 * afterAll(() => installed?.cleanup());
 *
 * it('imports as a valid connector', async () => {
 *   const { definition } = await installed.importConnector();
 *   expect(definition).toMatchObject({ key: 'acme', branded: true, validation: { ok: true }, manifest: { ok: true } });
 * });
 * ```
 */
export async function packAndInstallConnector(options: PackAndInstallOptions): Promise<InstalledConnector> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_PACK_TIMEOUT_MS);
  const packageDirectory = resolve(options.packageDirectory);
  const extraDirectories = (options.extraPackageDirectories ?? []).map((directory) => resolve(directory));
  const packageName = await readPackageName(packageDirectory);
  const sdkDirectory = await findSdkDirectory();

  const workDirectory = await mkdtemp(join(tmpdir(), 'cfm-pack-'));
  const cleanup = () => rm(workDirectory, { recursive: true, force: true });
  try {
    const tarballDirectory = join(workDirectory, 'tarballs');
    const projectDirectory = join(workDirectory, 'project');
    await mkdir(tarballDirectory);
    await mkdir(projectDirectory);
    if (options.build ?? true) {
      for (const directory of [packageDirectory, ...extraDirectories]) {
        // Only the package's own build: pnpm must not install (and fetch) anything on the way.
        if (await hasBuildScript(directory)) {
          await runBounded(
            'pnpm',
            ['--config.verify-deps-before-run=false', 'run', 'build'],
            directory,
            deadline,
          );
        }
      }
    }
    for (const directory of [sdkDirectory, packageDirectory, ...extraDirectories]) {
      await runBounded('pnpm', ['pack', '--pack-destination', tarballDirectory], directory, deadline);
    }
    const tarballs = (await readdir(tarballDirectory))
      .filter((file) => file.endsWith('.tgz'))
      .map((file) => join(tarballDirectory, file));
    await writeFile(
      join(projectDirectory, 'package.json'),
      JSON.stringify({ name: 'cfm-pack-check', private: true, type: 'module' }),
    );
    await runBounded(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs],
      projectDirectory,
      deadline,
    );
    return {
      directory: projectDirectory,
      packageName,
      importConnector: () => importInstalled(projectDirectory, packageName),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function importInstalled(
  projectDirectory: string,
  packageName: string,
): Promise<{ definition: PackedConnectorDefinition; packageJson: Record<string, unknown> }> {
  // The child imports what npm installed, never this process's copies: a real separate install.
  const script = `
    import { createRequire } from 'node:module';
    import { checkManifest, isConnectorDefinition, SDK_VERSION, validateConnectorDefinition } from '${SDK_PACKAGE_NAME}';
    const name = ${JSON.stringify(packageName)};
    const module = await import(name);
    const definition = module.default;
    const packageJson = createRequire(import.meta.url)(name + '/package.json');
    const manifest = checkManifest(packageJson, SDK_VERSION);
    const validation = validateConnectorDefinition(definition);
    process.stdout.write(JSON.stringify({
      definition: {
        key: definition?.key ?? null,
        contractVersion: definition?.contractVersion ?? null,
        branded: isConnectorDefinition(definition),
        matchesNamedExport: module.connector === definition,
        validation: validation.ok ? { ok: true } : { ok: false, errors: validation.errors },
        manifest: manifest.ok ? { ok: true } : { ok: false, status: manifest.status, reason: manifest.reason },
      },
      packageJson,
    }));
  `;
  const { stdout } = await runBounded(
    process.execPath,
    ['--input-type=module', '-e', script],
    projectDirectory,
    Date.now() + IMPORT_TIMEOUT_MS,
  );
  return JSON.parse(stdout) as {
    definition: PackedConnectorDefinition;
    packageJson: Record<string, unknown>;
  };
}

async function runBounded(
  command: string,
  args: readonly string[],
  cwd: string,
  deadline: number,
): Promise<{ stdout: string; stderr: string }> {
  const timeout = deadline - Date.now();
  if (timeout <= 0)
    throw new Error(`packAndInstallConnector: out of time before \`${command} ${args[0]}\` in ${cwd}`);
  return run(command, [...args], { cwd, timeout, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' });
}

async function readPackageJson(directory: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as Record<string, unknown>;
}

async function readPackageName(directory: string): Promise<string> {
  const name = (await readPackageJson(directory))['name'];
  if (typeof name !== 'string' || name === '') throw new Error(`${directory}/package.json has no name`);
  return name;
}

async function hasBuildScript(directory: string): Promise<boolean> {
  const scripts = (await readPackageJson(directory))['scripts'];
  return typeof scripts === 'object' && scripts !== null && 'build' in scripts;
}

// This file runs from src/testing/ (the SDK's own tests) or dist/testing/ (everyone else): walk up to the
// package.json that names the SDK rather than counting levels, so either works and so does node_modules.
async function findSdkDirectory(): Promise<string> {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const name = await readPackageJson(directory).then(
      (packageJson) => packageJson['name'],
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
    if (name === SDK_PACKAGE_NAME) return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`cannot find the ${SDK_PACKAGE_NAME} package folder`);
    directory = parent;
  }
}
