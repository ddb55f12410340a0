import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findHome } from '../workspace.js';

export const HOME = findHome();
export const REPO_ROOT = HOME.workspace.root;
export const SDK_DIRECTORY = join(REPO_ROOT, 'packages', 'connector-sdk');
/** What a generated package needs installed: the SDK and the repository's tools. */
const TOOLS = ['typescript', 'vitest', '@types/node', '@biomejs/biome'];

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

/**
 * `node_modules` under `folder` as `pnpm install` would leave it for a generated package: the SDK and the
 * tools, linked to this repository's copies (so nothing is downloaded). Packages below `folder` find them by
 * Node's walk up the folders.
 */
export function linkDependencies(folder: string): void {
  link(SDK_DIRECTORY, join(folder, 'node_modules', '@cfm', 'connector-sdk'));
  for (const tool of TOOLS)
    link(realpathSync(join(REPO_ROOT, 'node_modules', tool)), join(folder, 'node_modules', tool));
}

/** An empty temporary folder outside any workspace (a standalone package goes there). */
export function makeTempFolder(prefix = 'cfm-scaffold-'): { path: string; remove(): void } {
  const path = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A pnpm workspace in a temporary folder shaped like this repository: `packages/*`, the shared tsconfig base,
 * Biome and changesets configs, and the SDK as a workspace package (a link to the real one).
 */
export function makeFakeWorkspace(): { root: string; remove(): void } {
  const folder = makeTempFolder('cfm-workspace-');
  const root = folder.path;
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fake-workspace', private: true }));
  copyFileSync(join(REPO_ROOT, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  copyFileSync(join(REPO_ROOT, 'biome.json'), join(root, 'biome.json'));
  mkdirSync(join(root, '.changeset'));
  copyFileSync(join(REPO_ROOT, '.changeset', 'config.json'), join(root, '.changeset', 'config.json'));
  link(SDK_DIRECTORY, join(root, 'packages', 'connector-sdk'));
  linkDependencies(root);
  return { root, remove: folder.remove };
}

const run = promisify(execFile);

/** Runs a command with a deadline; the error names the command and carries its output. */
export async function runBounded(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, [...args], {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
      encoding: 'utf8',
      ...(options.env !== undefined && { env: options.env }),
    });
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${options.cwd}: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`.slice(
        0,
        8000,
      ),
    );
  }
}

/** The repository's copies of the tools, run with this Node. */
export const TOOL_BINARIES = {
  tsc: join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
  vitest: join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
  biome: join(REPO_ROOT, 'node_modules', '.bin', 'biome'),
};
