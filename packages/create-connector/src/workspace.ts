import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FIELD } from '@cfm/connector-sdk';
import { ScaffoldError } from './scaffold-error.js';

export const SDK_PACKAGE_NAME = '@cfm/connector-sdk';

/** One package of a pnpm workspace. */
export interface WorkspacePackage {
  name: string;
  /** Absolute folder. */
  directory: string;
  /** It carries the `cfmConnector` manifest field. */
  isConnector: boolean;
}

/** A pnpm workspace: its root and its packages. */
export interface Workspace {
  root: string;
  packages: WorkspacePackage[];
  /** The `packages:` globs of `pnpm-workspace.yaml` (`apps/*`, `packages/*`). */
  globs: string[];
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The folder holding `pnpm-workspace.yaml` at or above `start` (which need not exist yet). */
export function findWorkspaceRoot(start: string): string | undefined {
  let folder = resolve(start);
  for (;;) {
    if (existsSync(join(folder, 'pnpm-workspace.yaml'))) return folder;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/**
 * The `packages:` list of a `pnpm-workspace.yaml`. Only the forms this repository uses are understood
 * (`- dir/*` and `- dir`, quoted or not); anything else is skipped, which at worst misses a taken name
 * that `pnpm install` would then report.
 */
export function workspaceGlobs(yaml: string): string[] {
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split(/\r?\n/)) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (/^\S/.test(line)) inPackages = false;
    const entry = inPackages ? /^\s+-\s+['"]?([^'"#\s]+)['"]?/.exec(line) : null;
    if (entry !== null && !entry[1]!.startsWith('!')) globs.push(entry[1]!.replace(/\/+$/, ''));
  }
  return globs;
}

function packageFolders(root: string, glob: string): string[] {
  if (!glob.endsWith('/*')) return [join(root, glob)];
  const parent = join(root, glob.slice(0, -2));
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .filter((entry) => !entry.startsWith('.'))
    .map((entry) => join(parent, entry))
    .filter((folder) => statSync(folder).isDirectory());
}

/** The workspace at `root`: every folder its globs match that holds a named package.json. */
export function readWorkspace(root: string): Workspace {
  const globs = workspaceGlobs(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8'));
  const packages: WorkspacePackage[] = [];
  for (const glob of globs) {
    for (const directory of packageFolders(root, glob)) {
      const packageJson = readJson(join(directory, 'package.json'));
      const name = packageJson?.['name'];
      if (typeof name !== 'string') continue;
      const manifest = packageJson?.[MANIFEST_FIELD];
      packages.push({ name, directory, isConnector: typeof manifest === 'object' && manifest !== null });
    }
  }
  return { root, packages, globs };
}

/** True when `directory` (absolute) is matched by one of the workspace's globs. */
export function coversFolder(workspace: Workspace, directory: string): boolean {
  const path = relative(workspace.root, directory).split(sep).join('/');
  if (path.startsWith('..') || path === '') return false;
  return workspace.globs.some((glob) =>
    glob.endsWith('/*') ? dirname(path) === glob.slice(0, -2) : path === glob,
  );
}

/** The repository this scaffolder belongs to: the SDK it scaffolds against and the first-party connectors. */
export interface Home {
  workspace: Workspace;
  /** `@cfm/connector-sdk`'s version: the generated peer range is `^` this. */
  sdkVersion: string;
  /** Keys of the first-party connectors (`@cfm/connector-<key>` packages with a manifest). */
  firstPartyKeys: string[];
  /** Versions of the tools a standalone package lists as devDependencies (typescript, vitest…). */
  toolVersions: Record<string, string>;
}

/** Finds the repository this file is part of (from `src/` in tests, `dist/` once built). */
export function findHome(from: string = dirname(fileURLToPath(import.meta.url))): Home {
  const root = findWorkspaceRoot(from);
  const workspace = root === undefined ? undefined : readWorkspace(root);
  const sdk = workspace?.packages.find((candidate) => candidate.name === SDK_PACKAGE_NAME);
  if (workspace === undefined || sdk === undefined) {
    throw new ScaffoldError(
      'CFM_SCAFFOLD_NO_HOME',
      `cannot find the Connector Framework Manager repository (with ${SDK_PACKAGE_NAME}) above ${from}`,
    );
  }
  const sdkVersion = readJson(join(sdk.directory, 'package.json'))?.['version'];
  if (typeof sdkVersion !== 'string') {
    throw new ScaffoldError('CFM_SCAFFOLD_NO_HOME', `${SDK_PACKAGE_NAME} has no version in its package.json`);
  }
  const firstPartyKeys = workspace.packages
    .filter((candidate) => candidate.isConnector)
    .map((candidate) => /^@cfm\/connector-(.+)$/.exec(candidate.name)?.[1])
    .filter((key): key is string => key !== undefined);
  const rootDevDependencies = readJson(join(workspace.root, 'package.json'))?.['devDependencies'];
  const toolVersions: Record<string, string> = {};
  if (typeof rootDevDependencies === 'object' && rootDevDependencies !== null) {
    for (const [name, version] of Object.entries(rootDevDependencies)) {
      if (typeof version === 'string') toolVersions[name] = version;
    }
  }
  return { workspace, sdkVersion, firstPartyKeys, toolVersions };
}
