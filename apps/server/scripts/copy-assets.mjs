// Copies what the compiled server needs besides the JavaScript tsc emits. Today that is nothing (the
// ReDoc bundle and Swagger UI assets are read from node_modules at runtime), so this only makes sure
// dist/ exists; list files in ASSETS when a non-TypeScript file under src/ must ship.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = [];

mkdirSync(join(root, 'dist'), { recursive: true });
for (const asset of ASSETS) {
  const from = join(root, 'src', asset);
  if (!existsSync(from)) {
    throw new Error(`copy-assets: ${from} is missing`);
  }
  cpSync(from, join(root, 'dist', asset), { recursive: true });
}
