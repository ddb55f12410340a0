import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = new URL('../../', import.meta.url);

/**
 * Imports a built module by its path from the repository root (`apps/server/dist/app.js`). Benchmarks
 * measure what ships, so they read `dist`, never the TypeScript sources.
 */
export async function importBuilt(relativePath) {
  const url = new URL(relativePath, REPO_ROOT);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`${relativePath} is missing: build first ("pnpm bench" builds, or run "pnpm build")`);
  }
  return import(url.href);
}

/** A path from the repository root, as a file URL (for `createRequire`). */
export function repoUrl(relativePath) {
  return new URL(relativePath, REPO_ROOT);
}
