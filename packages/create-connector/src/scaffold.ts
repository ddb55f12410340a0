import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CONTRACT_VERSION } from '@cfm/connector-sdk';
import { type AuthKind, assertAuthKind, type ConnectorNames, connectorNames } from './connector-names.js';
import { formatSources } from './format-sources.js';
import { ScaffoldError } from './scaffold-error.js';
import { initialChangeset } from './templates/package-files.js';
import { renderPackage } from './templates/render-package.js';
import type { PackageLayout, TemplateInput } from './templates/template-input.js';
import {
  coversFolder,
  findHome,
  findWorkspaceRoot,
  type Home,
  readWorkspace,
  SDK_PACKAGE_NAME,
  type Workspace,
} from './workspace.js';

export interface ScaffoldOptions {
  /** The connector key: `^[a-z][a-z0-9-]{1,63}$`. */
  key: string;
  /** Shown to people (`Acme CRM`). Default: the key in title case. */
  displayName?: string | undefined;
  /** Default `@cfm/connector-<key>`. */
  packageName?: string | undefined;
  /** Default `oauth2`. */
  auth?: string | undefined;
  /** The folder the package folder goes into, relative to `cwd`. Default: `packages` of this repository. */
  directory?: string | undefined;
  /** Default `process.cwd()`. */
  cwd?: string;
  /** Default: format TypeScript and JSON with the repository's Biome (when installed). */
  format?: boolean;
  /** The repository the scaffolder belongs to; default found from this file. */
  home?: Home;
  /** Replaces the templates (tests use it to make a write fail half-way). */
  render?: (input: TemplateInput) => Record<string, string>;
}

export interface ScaffoldResult {
  /** The new package's folder (absolute). */
  directory: string;
  names: ConnectorNames;
  auth: AuthKind;
  layout: PackageLayout['kind'];
  /** The files written, relative to `directory`. */
  files: string[];
  /** The changeset written at the workspace root (workspace layout). */
  changeset?: string;
  /** Formatting problems (Biome missing or refusing a file); the files are written unformatted then. */
  warnings: string[];
}

function display(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown === '' || shown.startsWith('..') ? path : shown;
}

function readJsonObject(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Refuses a key or package name a first-party connector or a workspace package already has. */
function assertNotTaken(names: ConnectorNames, home: Home, target: Workspace | undefined, cwd: string): void {
  if (home.firstPartyKeys.includes(names.key)) {
    throw new ScaffoldError(
      'CFM_SCAFFOLD_TAKEN',
      `"${names.key}" is the key of the first-party connector @cfm/connector-${names.key}: the server would ` +
        'load only one of them. Pick another key.',
    );
  }
  for (const workspace of target === undefined ? [home.workspace] : [home.workspace, target]) {
    const clash = workspace.packages.find((candidate) => candidate.name === names.packageName);
    if (clash !== undefined) {
      throw new ScaffoldError(
        'CFM_SCAFFOLD_TAKEN',
        `${names.packageName} is already a package of the workspace (${display(clash.directory, cwd)}). ` +
          'Pick another key, or another name with --package.',
      );
    }
  }
}

/** Where the package goes, and whether it joins a workspace that holds the SDK. */
function layoutFor(packageDirectory: string, cwd: string): { layout: PackageLayout; workspace?: Workspace } {
  const root = findWorkspaceRoot(dirname(packageDirectory));
  if (root === undefined) return { layout: { kind: 'standalone' } };
  const workspace = readWorkspace(root);
  if (!workspace.packages.some((candidate) => candidate.name === SDK_PACKAGE_NAME)) {
    return { layout: { kind: 'standalone' }, workspace };
  }
  if (!coversFolder(workspace, packageDirectory)) {
    throw new ScaffoldError(
      'CFM_SCAFFOLD_BAD_OPTION',
      `${display(packageDirectory, cwd)} is inside the workspace at ${display(root, cwd)} but not in one of its ` +
        `package folders (${workspace.globs.join(', ')}): use --dir packages, or a folder outside the repository.`,
    );
  }
  const base = join(root, 'tsconfig.base.json');
  return {
    layout: existsSync(base)
      ? { kind: 'workspace', tsconfigBase: relative(packageDirectory, base).split(sep).join('/') }
      : { kind: 'workspace' },
    workspace,
  };
}

async function writeFiles(directory: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const file = join(directory, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text, { flag: 'wx' });
  }
}

/**
 * Writes a complete connector package (manifest, definition with an `api` descriptor and one action, a fake
 * provider, tests on the SDK's kit, README, CHANGELOG, changeset, configs) that builds and passes its tests as
 * it is. Refusals (`ScaffoldError`) come before anything is written; the files are written into a temporary
 * folder next to the target and renamed into place, so a failure half-way leaves nothing behind.
 *
 * @example
 * ```ts
 * const result = await scaffoldConnector({ key: 'acme', displayName: 'Acme', auth: 'oauth2' });
 * // result.directory: …/packages/connector-acme
 * ```
 */
export async function scaffoldConnector(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? findHome();
  const auth = options.auth ?? 'oauth2';
  assertAuthKind(auth);
  const names = connectorNames(options.key, {
    displayName: options.displayName,
    packageName: options.packageName,
  });
  const parent = resolve(cwd, options.directory ?? join(home.workspace.root, 'packages'));
  const directory = join(parent, names.folderName);
  const { layout, workspace } = layoutFor(directory, cwd);
  assertNotTaken(names, home, workspace, cwd);
  if (existsSync(directory)) {
    throw new ScaffoldError(
      'CFM_SCAFFOLD_EXISTS',
      `${display(directory, cwd)} already exists: remove it, or choose another key or --dir.`,
    );
  }

  const input: TemplateInput = {
    names,
    auth,
    layout,
    sdkVersion: home.sdkVersion,
    contractVersion: CONTRACT_VERSION,
    compilerOptions: (readJsonObject(join(home.workspace.root, 'tsconfig.base.json'))['compilerOptions'] ??
      {}) as Record<string, unknown>,
    toolVersions: home.toolVersions,
  };
  const changesetFolder = workspace === undefined ? undefined : join(workspace.root, '.changeset');
  const changeset =
    layout.kind === 'workspace' && changesetFolder !== undefined && existsSync(changesetFolder)
      ? join(changesetFolder, `${names.folderName}-initial-release.md`)
      : undefined;
  if (changeset !== undefined && existsSync(changeset)) {
    throw new ScaffoldError(
      'CFM_SCAFFOLD_EXISTS',
      `${display(changeset, cwd)} already exists: remove it if the package it announced is gone.`,
    );
  }

  const rendered = (options.render ?? renderPackage)(input);
  const { files, problems } =
    options.format === false
      ? { files: rendered, problems: [] }
      : await formatSources(rendered, {
          root: home.workspace.root,
          virtualFolder: `packages/${names.folderName}`,
        });

  const createdParent = await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${names.folderName}-`));
  let placed = false;
  try {
    await writeFiles(staging, files);
    // Checked again: another process may have created it meanwhile, and renaming onto an empty folder works.
    if (existsSync(directory)) {
      throw new ScaffoldError('CFM_SCAFFOLD_EXISTS', `${display(directory, cwd)} appeared while writing.`);
    }
    await rename(staging, directory);
    placed = true;
    if (changeset !== undefined) {
      const pending = `${changeset}.${process.pid}.tmp`;
      await writeFile(pending, initialChangeset(input), { flag: 'wx' });
      await rename(pending, changeset);
    }
  } catch (error) {
    await rm(placed ? directory : staging, { recursive: true, force: true });
    if (changeset !== undefined) await rm(`${changeset}.${process.pid}.tmp`, { force: true });
    if (createdParent !== undefined) await rm(createdParent, { recursive: true, force: true });
    throw error;
  }
  return {
    directory,
    names,
    auth,
    layout: layout.kind,
    files: Object.keys(files).sort(),
    ...(changeset !== undefined && { changeset }),
    warnings: problems,
  };
}
